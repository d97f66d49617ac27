/**
 * The pod's quality-of-service class (`status.qosClass`), by the rules of Kubernetes'
 * ComputePodQOS: only `cpu` and `memory` count, and only non-zero amounts. Every container, init
 * containers included, is looked at:
 *
 * - `BestEffort`: no container requests or limits any of them;
 * - `Guaranteed`: every container limits both, and the pod's summed requests equal its summed
 *   limits, resource by resource (requests default to limits, so limits alone suffice);
 * - `Burstable`: anything else.
 *
 * Pod-level `resources`, when they set cpu or memory, decide the class alone (ComputePodQOS does the
 * same with the PodLevelResources feature).
 *
 * The kernel never sees the class itself; it is what the kubelet ranks pods by when it must evict
 * and what sets a container's OOM score. Here it is reported, as the kubelet reports it.
 */
import { parseCpuMillis, parseQuantity } from '../manifest/index.js';
import type { Pod, ResourceList } from '../manifest/types.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const RESOURCES = { cpu: parseCpuMillis, memory: parseQuantity } as const;
type Name = keyof typeof RESOURCES;

/** The non-zero cpu/memory amounts of a resource list, as numbers (millicores, bytes). */
function amounts(list: ResourceList | undefined): Map<Name, number> {
  const out = new Map<Name, number>();
  for (const name of Object.keys(RESOURCES) as Name[]) {
    const q = list?.[name];
    if (q === undefined) continue;
    const v = RESOURCES[name](q);
    if (v > 0) out.set(name, v);
  }
  return out;
}

function add(sum: Map<Name, number>, more: Map<Name, number>): void {
  for (const [k, v] of more) sum.set(k, (sum.get(k) ?? 0) + v);
}

/** With pod-level resources, the class is the pod's own: limits on both, equal to the requests. */
function podLevelClass(r: NonNullable<Pod['spec']['resources']>): QOSClass {
  const requests = amounts(r.requests);
  const limits = amounts(r.limits);
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  const equal = [...requests].every(([k, v]) => limits.get(k) === v);
  return limits.has('cpu') && limits.has('memory') && equal ? 'Guaranteed' : 'Burstable';
}

export function qosClass(pod: Pod): QOSClass {
  const podLevel = pod.spec.resources;
  if (podLevel && (amounts(podLevel.requests).size || amounts(podLevel.limits).size)) return podLevelClass(podLevel);
  const requests = new Map<Name, number>();
  const limits = new Map<Name, number>();
  let everyContainerLimitsBoth = true;
  for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
    const l = amounts(c.resources?.limits);
    add(requests, amounts(c.resources?.requests));
    add(limits, l);
    if (!l.has('cpu') || !l.has('memory')) everyContainerLimitsBoth = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  const requestsAreLimits = [...requests].every(([k, v]) => limits.get(k) === v);
  return everyContainerLimitsBoth && requestsAreLimits && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
