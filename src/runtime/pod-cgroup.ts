/**
 * The pod's own cgroup (`tspod/<uid>`, the parent of its containers' cgroups) and the limits it
 * carries. The kernel charges a child's use to every ancestor, so a limit here holds for the pod's
 * processes together, whatever each container may use: that is what pod-level `resources`
 * (Kubernetes 1.32+) mean. As the kubelet sizes the pod cgroup, the pod's `overhead` is added to the
 * limits, and a pod-level CPU request becomes the pod's weight.
 */
import type { Limits } from '../cgroups/limits.js';
import { parseCpuMillis, parseQuantity } from '../manifest/quantity.js';
import type { Pod } from '../manifest/types.js';

export function podCgroupLimits(pod: Pod): Limits {
  const limits = pod.spec.resources?.limits ?? {};
  const requests = pod.spec.resources?.requests ?? {};
  const over = pod.spec.overhead ?? {};
  const extra = (name: 'cpu' | 'memory') =>
    over[name] === undefined ? 0 : name === 'cpu' ? parseCpuMillis(over[name]!) : Math.ceil(parseQuantity(over[name]!));
  return {
    ...(limits.memory ? { memoryBytes: Math.ceil(parseQuantity(limits.memory)) + extra('memory') } : {}),
    ...(limits.cpu ? { cpuMillis: parseCpuMillis(limits.cpu) + extra('cpu') } : {}),
    ...(requests.cpu ? { cpuRequestMillis: parseCpuMillis(requests.cpu) + extra('cpu') } : {}),
  };
}
