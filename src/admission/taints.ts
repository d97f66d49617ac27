/**
 * Taints and tolerations. A taint on a node keeps away every pod that does not tolerate it:
 * `NoSchedule` and `NoExecute` taints refuse such a pod (the scheduler checks both, the kubelet
 * `NoExecute`, which would also evict a running pod), `PreferNoSchedule` only makes the node less
 * preferred, so on a node of its own the pod is admitted.
 *
 * A toleration tolerates a taint when its effect is empty or the same, its key is empty (with
 * `Exists`: every taint) or the same, and, for `Equal` (the default), its value is the same.
 */
import type { Toleration } from '../manifest/types.js';
import type { Taint } from '../node/config.js';

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** The first taint with a refusing effect that no toleration tolerates. */
export function untoleratedTaint(taints: Taint[], tolerations: Toleration[] = []): Taint | undefined {
  return taints.find((taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)));
}

export function showTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}
