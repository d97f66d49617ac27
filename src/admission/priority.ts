/**
 * Pod priority, as the API server's Priority admission plugin sets it: `priorityClassName` names a
 * PriorityClass, whose value becomes `spec.priority` and whose policy `spec.preemptionPolicy`.
 * Without a class name the pod gets the global default class (none here) or 0. A pod may not
 * state a priority or policy other than the one the class gives.
 *
 * This node knows the two classes every cluster has, `system-cluster-critical` and
 * `system-node-critical`. A pod with a critical priority is one the kubelet would make room for by
 * evicting lower-priority pods; tspod does not evict, and says so when such a pod does not fit.
 */
import type { Pod, PreemptionPolicy } from '../manifest/types.js';

export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-cluster-critical': 2_000_000_000,
  'system-node-critical': 2_000_001_000,
};

/** The kubelet's "critical pod" threshold (SystemCriticalPriority). */
export const CRITICAL_PRIORITY = 2_000_000_000;

export interface Priority {
  priority: number;
  preemptionPolicy: PreemptionPolicy;
}

/** The pod's priority, or the API server's reason for refusing the pod. */
export function resolvePriority(pod: Pod): Priority | { forbidden: string } {
  const name = pod.spec.priorityClassName;
  let priority = 0;
  if (name) {
    if (!Object.hasOwn(SYSTEM_PRIORITY_CLASSES, name)) {
      return {
        forbidden:
          `no PriorityClass with name ${name} was found ` +
          `(this node knows ${Object.keys(SYSTEM_PRIORITY_CLASSES).join(' and ')})`,
      };
    }
    priority = SYSTEM_PRIORITY_CLASSES[name]!;
  }
  const policy: PreemptionPolicy = 'PreemptLowerPriority';
  if (pod.spec.priority !== undefined && pod.spec.priority !== priority) {
    return {
      forbidden:
        `the integer value of priority (${pod.spec.priority}) must not be provided in pod spec; ` +
        `priority admission controller computed ${priority} from the given PriorityClass name`,
    };
  }
  if (pod.spec.preemptionPolicy !== undefined && pod.spec.preemptionPolicy !== policy) {
    return {
      forbidden:
        `the string value of PreemptionPolicy (${pod.spec.preemptionPolicy}) must not be provided in pod spec; ` +
        `priority admission controller computed ${policy} from the given PriorityClass name`,
    };
  }
  return { priority, preemptionPolicy: policy };
}
