/**
 * Inter-pod affinity and topology spread, on one node.
 *
 * A term of pod (anti-)affinity says "in the same topology domain as pods chosen by this selector
 * (in these namespaces)". On one node there is one domain per topology key, the node itself, when
 * the node has that label, and none when it lacks it. So, as the scheduler's InterPodAffinity
 * filter decides on this node:
 * - a required affinity term holds when the node has the key and a pod on it is chosen, or when no
 *   pod is chosen anywhere and the pod would choose itself (the first pod of a group);
 * - a required anti-affinity term fails when the node has the key and a pod on it is chosen;
 * - a pod already here with a required anti-affinity term that chooses the new pod refuses it.
 * A spread constraint counts the chosen pods per domain; with one domain the skew is the new pod
 * itself, unless `minDomains` asks for more domains than exist (the minimum is then 0). A node
 * without the key is not a domain: `DoNotSchedule` refuses the pod there.
 *
 * `matchLabelKeys` / `mismatchLabelKeys` add `key In/NotIn [the new pod's value]` to a selector.
 */
import type { LabelSelector, Pod, PodAffinityTerm, TopologySpreadConstraint } from '../manifest/types.js';
import type { NodeInfo } from '../node/node.js';
import { selects } from './selectors.js';
import type { PodOnNode, Refusal } from './types.js';

/** Namespaces have one label the API server sets on each: its own name. */
const nsLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });

function withLabelKeys(
  sel: LabelSelector | undefined,
  term: { matchLabelKeys?: string[]; mismatchLabelKeys?: string[] },
  labels: Record<string, string>,
): LabelSelector | undefined {
  const extra = [
    ...(term.matchLabelKeys ?? [])
      .filter((k) => Object.hasOwn(labels, k))
      .map((key) => ({ key, operator: 'In' as const, values: [labels[key]!] })),
    ...(term.mismatchLabelKeys ?? [])
      .filter((k) => Object.hasOwn(labels, k))
      .map((key) => ({ key, operator: 'NotIn' as const, values: [labels[key]!] })),
  ];
  if (!sel || extra.length === 0) return sel;
  return { ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] };
}

/** Does `term`, written in a pod of namespace `ns` with `labels`, choose the pod `other`? */
function chooses(
  term: PodAffinityTerm,
  ns: string,
  labels: Record<string, string>,
  other: { namespace: string; labels: Record<string, string> },
): boolean {
  const inNamespace =
    term.namespaces?.length || term.namespaceSelector
      ? (term.namespaces ?? []).includes(other.namespace) ||
        (!!term.namespaceSelector && selects(term.namespaceSelector, nsLabels(other.namespace)))
      : other.namespace === ns;
  return inNamespace && selects(withLabelKeys(term.labelSelector, term, labels), other.labels);
}

const labelsOf = (pod: Pod) => pod.metadata.labels ?? {};

export function interPodRefusals(pod: Pod, node: NodeInfo, others: PodOnNode[]): Refusal[] {
  const ns = pod.metadata.namespace;
  const labels = labelsOf(pod);
  const self = { namespace: ns, labels };
  const refusals: Refusal[] = [];
  const affinity = pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const anyChosen = affinity.some((t) => others.some((o) => chooses(t, ns, labels, o)));
  for (const t of affinity) {
    const here = Object.hasOwn(node.labels, t.topologyKey) && others.some((o) => chooses(t, ns, labels, o));
    const first = !anyChosen && affinity.every((u) => chooses(u, ns, labels, self));
    if (!here && !first) {
      refusals.push({
        reason: 'InterPodAffinity',
        message: "node(s) didn't match pod affinity rules",
        detail: `no pod on this node is chosen by the affinity term with topologyKey ${t.topologyKey}`,
      });
    }
  }
  for (const t of pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    const hit = Object.hasOwn(node.labels, t.topologyKey) ? others.find((o) => chooses(t, ns, labels, o)) : undefined;
    if (hit)
      refusals.push({
        reason: 'InterPodAffinity',
        message: "node(s) didn't match pod anti-affinity rules",
        detail: `pod "${hit.name}" on this node is chosen by the anti-affinity term with topologyKey ${t.topologyKey}`,
      });
  }
  for (const o of others) {
    const t = o.antiAffinity.find(
      (term) => Object.hasOwn(node.labels, term.topologyKey) && chooses(term, o.namespace, o.labels, self),
    );
    if (t)
      refusals.push({
        reason: 'InterPodAffinity',
        message: "node(s) didn't satisfy existing pods anti-affinity rules",
        detail: `pod "${o.name}" on this node keeps such pods away (topologyKey ${t.topologyKey})`,
      });
  }
  return refusals;
}

function spreadRefusal(
  c: TopologySpreadConstraint,
  pod: Pod,
  node: NodeInfo,
  others: PodOnNode[],
): Refusal | undefined {
  if (c.whenUnsatisfiable !== 'DoNotSchedule') return undefined;
  const message = "node(s) didn't match pod topology spread constraints";
  if (!Object.hasOwn(node.labels, c.topologyKey))
    return {
      reason: 'PodTopologySpread',
      message: `${message} (missing required label)`,
      detail: `the node has no label ${c.topologyKey}`,
    };
  const sel = withLabelKeys(c.labelSelector, { matchLabelKeys: c.matchLabelKeys }, labelsOf(pod));
  const count = others.filter((o) => o.namespace === pod.metadata.namespace && selects(sel, o.labels)).length;
  const selfMatch = selects(sel, labelsOf(pod)) ? 1 : 0;
  // One domain: the global minimum is this domain's count, or 0 when fewer domains exist than minDomains.
  const min = (c.minDomains ?? 1) > 1 ? 0 : count;
  const skew = count + selfMatch - min;
  if (skew <= c.maxSkew) return undefined;
  return {
    reason: 'PodTopologySpread',
    message,
    detail:
      `skew ${skew} > maxSkew ${c.maxSkew} on ${c.topologyKey}=${node.labels[c.topologyKey]} ` +
      `(${count} chosen pods here, one domain, minDomains ${c.minDomains})`,
  };
}

export function spreadRefusals(pod: Pod, node: NodeInfo, others: PodOnNode[]): Refusal[] {
  return (pod.spec.topologySpreadConstraints ?? []).flatMap((c) => spreadRefusal(c, pod, node, others) ?? []);
}
