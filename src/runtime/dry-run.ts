/**
 * `tspod run --dry-run`: every plan the pod would execute, computed exactly as a real run computes
 * them but without touching the system (no directory, mount, cgroup or process is made).
 */
import { PAUSE_BINARY, type Roots } from '../paths.js';
import { plannedCgroup } from '../cgroups/cgroups.js';
import type { ImageRecord } from '../image/store.js';
import { infraPlan } from '../plan/infra.js';
import { infraInput } from '../plan/pod-inputs.js';
import type { Plan } from '../plan/types.js';
import type { ConfigObjects } from '../manifest/config-objects.js';
import type { PodState } from '../state/types.js';
import { planContainer } from './container.js';
import { realHost } from './host.js';
import { Sandbox } from './sandbox.js';
import { ownUserNamespace } from '../manifest/user-namespace.js';
import { idMapLine, peekRange } from '../state/userns-ranges.js';

/** The plans for `state`, the record of a pod about to start (supervisor/run-pod.ts newState). */
export function planPod(roots: Roots, state: PodState, images: Record<string, ImageRecord>, config?: ConfigObjects): Plan[] {
  const pod = state.pod;
  const noop = () => undefined;
  const sb = new Sandbox({ host: realHost, roots, state, save: async () => undefined, network: 'none', explain: noop, warn: noop, config });
  // hostUsers: false: the range a run would claim now (nothing is claimed by a dry run).
  const range = ownUserNamespace(pod) ? peekRange(roots) : undefined;
  if (range) sb.userns = { range };
  const infra = infraPlan(infraInput(state.pod, sb.layout, {
    pauseBinary: PAUSE_BINARY, cgroupProcs: plannedCgroup(`${sb.cgroup}/infra`).procs, ...(range ? { idMap: idMapLine(range) } : {}),
  }));
  const containers = [...pod.spec.initContainers, ...pod.spec.containers].map((c) =>
    planContainer(sb, c, images[c.name], 0, plannedCgroup(`${sb.cgroup}/${c.name}-0`).procs),
  );
  return [infra, ...containers];
}
