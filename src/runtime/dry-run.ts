/**
 * `tspod run --dry-run`: the whole pod as it would be made (pod-plan.ts), computed exactly as a
 * real run computes it but without touching the system (no directory, mount, cgroup or process is
 * made): the host steps, the infra's plan, and each container's cgroup (limits, device policy)
 * and plan (namespaces, mounts, credentials, seccomp profile). As text, or as JSON.
 */
import type { Roots } from '../paths.js';
import type { ImageRecord } from '../image/store.js';
import { formatHostSteps, describeHostStep } from '../plan/host-steps.js';
import { formatPlan } from '../plan/format.js';
import type { ConfigObjects } from '../manifest/config-objects.js';
import type { PodState } from '../state/types.js';
import type { HostFacts } from './facts.js';
import { realHost } from './host.js';
import { podPlan, type PodPlan } from './pod-plan.js';
import { Sandbox } from './sandbox.js';

/** The whole plan for `state`, the record of a pod about to start (supervisor/run-pod.ts newState). */
export function dryRunPlan(
  roots: Roots,
  state: PodState,
  images: Record<string, ImageRecord>,
  facts: HostFacts,
  config?: ConfigObjects,
): PodPlan {
  const noop = () => undefined;
  const sb = new Sandbox({
    host: realHost,
    roots,
    state,
    save: async () => undefined,
    network: 'none',
    explain: noop,
    warn: noop,
    config,
    facts,
  });
  return podPlan(sb, images);
}

/** The plan as `--dry-run` prints it: the host steps, the infra, then each container. */
export function formatPodPlan(p: PodPlan): string {
  const containers = p.containers.map((c) =>
    [
      `${c.name}: ${describeHostStep({ kind: 'cgroup', rel: c.cgroup.rel, dirs: c.cgroup.dirs, limits: c.cgroup.limits, why: '' })}`,
      `${c.name}: seccomp profile ${c.seccomp}${c.seccomp === 'Unconfined' ? ' (no filter)' : ' (the seccomp step below)'}`,
      ...formatPlan(c.plan),
    ].join('\n'),
  );
  return [formatHostSteps(p.hostSteps).join('\n'), formatPlan(p.infra).join('\n'), ...containers].join('\n\n') + '\n';
}

/** The plan as `--dry-run --json` prints it (the warnings go to stderr, as in a run). */
export function podPlanJson(p: PodPlan): string {
  return JSON.stringify({ hostSteps: p.hostSteps, infra: p.infra, containers: p.containers }, null, 2) + '\n';
}
