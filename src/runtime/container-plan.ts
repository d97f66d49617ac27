/**
 * A container instance's plan (pure, given its pod's context and the host's facts): its process
 * (command, env, user from the image), its cgroup's limits and device policy, its mounts and
 * capabilities, its seccomp filter. Used at each start (runtime/container.ts) and by `--dry-run`.
 */
import { ConfigRefError, parseCpuMillis, parseQuantity, resolveProcess, mergeEnv } from '../manifest/index.js';
import { containerEnv, mountSubPath } from '../manifest/process.js';
import { podHostnameOn } from '../plan/pod-inputs.js';
import type { ConfigObjects } from '../manifest/config-objects.js';
import type { Container, DownwardFacts, Pod } from '../manifest/types.js';
import type { ImageRecord } from '../image/store.js';
import type { Limits } from '../cgroups/limits.js';
import { DEFAULT_DEVICE_RULES } from '../cgroups/devices.js';
import { containerCgroupMounts } from '../cgroups/detect.js';
import { containerPlan } from '../plan/container.js';
import { containerInput } from '../plan/pod-inputs.js';
import type { Plan } from '../plan/types.js';
import type { PodLayout } from '../layout.js';
import type { Roots } from '../paths.js';
import type { PodState } from '../state/types.js';
import type { HostFacts } from './facts.js';
import { resolveUser } from './user.js';
import { seccompChoice } from '../manifest/seccomp.js';
import { seccompStep } from '../seccomp/index.js';

/**
 * The container's configuration cannot be made (the kubelet's CreateContainerConfigError): an env
 * reference to a ConfigMap or Secret key that does not exist, runAsNonRoot with an image that runs
 * as root. Nothing of the instance is left; the message is the kubelet's.
 */
export class CreateContainerConfigError extends Error {}

/** What planning a container needs of its pod: the sandbox (sandbox.ts), or the same for a `--dry-run`. */
export interface PlanContext {
  readonly pod: Pod;
  readonly layout: PodLayout;
  readonly config: ConfigObjects;
  readonly facts: HostFacts;
  downwardFacts(): DownwardFacts;
  readonly opts: { readonly state: PodState; readonly roots: Roots };
}

/** The container's cgroup limits: resources, and the device policy unless privileged. */
export function limitsOf(c: Container): Limits {
  const l = c.resources.limits ?? {};
  const r = c.resources.requests ?? {};
  return {
    ...(l.memory ? { memoryBytes: Math.ceil(parseQuantity(l.memory)) } : {}),
    ...(l.cpu ? { cpuMillis: parseCpuMillis(l.cpu) } : {}),
    // Every container gets a weight: without a CPU request the kubelet's minimum (2 shares), not
    // the cgroup's default of 1024, which would weigh it as much as a container asking for a CPU.
    cpuRequestMillis: (r.cpu ?? l.cpu) ? parseCpuMillis((r.cpu ?? l.cpu)!) : 0,
    // Written to the container's cgroup here, before the child joins it (its first plan step):
    // there is no moment at which the container runs without the device policy.
    ...(c.securityContext?.privileged ? {} : { devices: DEFAULT_DEVICE_RULES }),
  };
}

/** Build the container's plan: pure, given the sandbox's paths and the image (also used by --dry-run). */
export function podContainerPlan(
  sb: PlanContext,
  c: Container,
  image: ImageRecord,
  instance: number,
  cgroupProcs: string[],
): Plan {
  const pod = sb.pod;
  const state = sb.opts.state;
  const process = configOf(() => resolveProcess(c, image.config, sb.downwardFacts(), sb.config));
  process.env = mergeEnv([`HOSTNAME=${podHostnameOn(pod, sb.facts.hostname)}`, ...process.env]);
  const user = resolveUser(pod, c, image);
  if ((c.securityContext?.runAsNonRoot ?? pod.spec.securityContext.runAsNonRoot) && (user?.uid ?? 0) === 0) {
    throw new CreateContainerConfigError(
      `container has runAsNonRoot and image will run as root (pod: "${pod.metadata.name}_${pod.metadata.namespace}(${state.uid})", container: ${c.name})`,
    );
  }
  const subPaths = c.volumeMounts.some((m) => m.subPathExpr)
    ? configOf(() => {
        const env = containerEnv(c, sb.downwardFacts(), sb.config);
        return c.volumeMounts.map((m) => mountSubPath(c, m, env));
      })
    : undefined;
  const input = containerInput(pod, sb.layout, c, {
    image,
    process,
    ...(subPaths ? { subPaths } : {}),
    instance: sb.layout.instance(c.name, instance),
    terminationLog: sb.layout.terminationLog(c.name, instance),
    ...(user ? { user } : {}),
    cgroupProcs,
    available: sb.facts.capabilities,
    cgroupMounts: containerCgroupMounts(sb.facts.cgroups),
    kernelRelease: sb.facts.kernelRelease,
  });
  const seccomp = seccompStep(seccompChoice(pod, c.name), {
    roots: sb.opts.roots,
    capabilities: input.capabilities,
    privileged: input.privileged,
  });
  return containerPlan({ ...input, ...(seccomp ? { seccomp } : {}) });
}

function configOf<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof ConfigRefError) throw new CreateContainerConfigError(err.detail);
    throw err;
  }
}
