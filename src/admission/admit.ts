/**
 * Admission: does this node take the pod? The kubelet asks this of every pod bound to it before it
 * makes anything (pkg/kubelet/lifecycle/predicate.go), with the scheduler's own filters; tspod,
 * being both the scheduler and the kubelet of its one node, asks what both would.
 *
 * In the order of the kubelet's checks:
 * 1. `schedulingGates`: a gated pod is not scheduled at all (reason `SchedulingGated`).
 * 2. Priority: the class must exist, `priority` and `preemptionPolicy` must agree with it (the API
 *    server's Priority admission; refused as it refuses: `Forbidden`).
 * 3. Resources: the pod fits as a whole or not at all. Its effective request (node/requests.ts)
 *    plus what the pods already admitted here requested must stay within allocatable, for every
 *    resource it asks for, and one more pod must fit `pods`. An extended resource the node lacks
 *    has allocatable 0. Reasons `OutOfcpu`, `OutOfmemory`, `OutOfephemeral-storage`, `OutOfpods`,
 *    `OutOf<resource>`.
 * 4. `NodeAffinity`: `nodeSelector` and the required node affinity terms select this node.
 * 5. `NodeName`: `nodeName` is absent or this node's name.
 * 6. `NodePorts`: no pod here holds the same host port.
 * 7. `TaintToleration`: every NoSchedule and NoExecute taint is tolerated.
 * 8. `InterPodAffinity` and `PodTopologySpread` (pod-affinity.ts).
 * 9. `AppArmor` (and SELinux): profiles and labels the host can or cannot enforce (lsm.ts).
 * Every failure is kept; the first gives the reason, as the kubelet reports it.
 */
import type { Pod } from '../manifest/types.js';
import type { NodeInfo } from '../node/node.js';
import { podRequests } from '../node/requests.js';
import { formatAmount, NODE_RESOURCES, type Amounts } from '../node/resources.js';
import { lsmRefusals } from './lsm.js';
import { interPodRefusals, spreadRefusals } from './pod-affinity.js';
import { CRITICAL_PRIORITY, resolvePriority } from './priority.js';
import { unmetNodeSelector, unmetTerm } from './selectors.js';
import { showTaint, tolerates, untoleratedTaint } from './taints.js';
import type { HostPortUse, PodOnNode, Refusal, ResourceFit, Verdict } from './types.js';

const OUT_OF: Record<string, string> = {
  cpu: 'OutOfcpu',
  memory: 'OutOfmemory',
  'ephemeral-storage': 'OutOfephemeral-storage',
  pods: 'OutOfpods',
};

function resourceOrder(names: string[]): string[] {
  const known = NODE_RESOURCES.filter((r) => names.includes(r));
  return [...known, ...names.filter((n) => !(NODE_RESOURCES as readonly string[]).includes(n)).sort()];
}

/** Every resource the pod asks for, and pods. */
export function resourceFit(requests: Amounts, node: NodeInfo, others: PodOnNode[]): ResourceFit[] {
  const asked: Amounts = { ...requests, pods: 1 };
  return resourceOrder(Object.keys(asked)).map((resource) => {
    const requested = asked[resource]!;
    const used = resource === 'pods' ? others.length : others.reduce((n, o) => n + (o.requests[resource] ?? 0), 0);
    const allocatable = node.allocatable[resource] ?? 0;
    return { resource, requested, used, allocatable, fits: requested <= allocatable - used };
  });
}

function fitRefusal(f: ResourceFit): Refusal {
  return {
    reason: OUT_OF[f.resource] ?? `OutOf${f.resource}`,
    message:
      `Node didn't have enough resource: ${f.resource}, ` +
      `requested: ${f.requested}, used: ${f.used}, capacity: ${f.allocatable}`,
  };
}

function affinityRefusal(pod: Pod, node: NodeInfo, notes: string[]): Refusal | undefined {
  const message = "node(s) didn't match Pod's node affinity/selector";
  const selector = pod.spec.nodeSelector ?? {};
  const bySelector = unmetNodeSelector(selector, node);
  if (bySelector) return { reason: 'NodeAffinity', message, detail: bySelector };
  if (Object.keys(selector).length)
    notes.push(
      `nodeSelector ${Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}: the node has these labels`,
    );
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return undefined;
  const unmet = terms.map((t) => unmetTerm(t, node));
  const met = unmet.indexOf(undefined);
  if (met < 0)
    return {
      reason: 'NodeAffinity',
      message,
      detail: `no required node affinity term selects the node: ${unmet.map((u, i) => `term ${i}: ${u}`).join('; ')}`,
    };
  notes.push(`required node affinity: term ${met} selects the node`);
  return undefined;
}

function portsOf(pod: Pod): HostPortUse[] {
  return [...pod.spec.initContainers, ...pod.spec.containers].flatMap((c) =>
    c.ports.filter((p) => p.hostPort).map((p) => ({ port: p.hostPort!, protocol: p.protocol, hostIP: p.hostIP ?? '' })),
  );
}

const anyAddress = (ip: string) => ip === '' || ip === '0.0.0.0' || ip === '::';

function portRefusal(pod: Pod, others: PodOnNode[]): Refusal | undefined {
  for (const want of portsOf(pod)) {
    const holder = others.find((o) =>
      o.hostPorts.some(
        (h) =>
          h.port === want.port &&
          h.protocol === want.protocol &&
          (anyAddress(h.hostIP) || anyAddress(want.hostIP) || h.hostIP === want.hostIP),
      ),
    );
    if (holder)
      return {
        reason: 'NodePorts',
        message: "node(s) didn't have free ports for the requested pod ports",
        detail: `host port ${want.port}/${want.protocol} is held by pod "${holder.name}"`,
      };
  }
  return undefined;
}

function taintRefusal(pod: Pod, node: NodeInfo, notes: string[], warnings: string[]): Refusal | undefined {
  const taint = untoleratedTaint(node.taints, pod.spec.tolerations);
  if (taint)
    return {
      reason: 'TaintToleration',
      message: "node(s) had taints that the pod didn't tolerate",
      detail: `untolerated taint ${showTaint(taint)}`,
    };
  for (const t of node.taints) {
    const by = (pod.spec.tolerations ?? []).filter((tol) => tolerates(tol, t));
    notes.push(`taint ${showTaint(t)}: ${by.length ? 'tolerated' : 'PreferNoSchedule, only a preference'}`);
    if (t.effect === 'NoExecute' && by.length && by.every((tol) => tol.tolerationSeconds !== undefined)) {
      warnings.push(
        `the pod tolerates the NoExecute taint ${showTaint(t)} ` +
          `for ${Math.max(...by.map((tol) => tol.tolerationSeconds!))}s only; ` +
          'a cluster would then evict it, tspod does not evict',
      );
    }
  }
  return undefined;
}

/** Notes for what one node satisfies by being alone: preferences have nothing to choose between. */
function trivialNotes(pod: Pod): string[] {
  const a = pod.spec.affinity;
  const notes: string[] = [];
  const preferred =
    (a?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) +
    (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) +
    (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0);
  if (preferred) notes.push(`${preferred} preferred (anti-)affinity term(s): they rank nodes, and there is one node`);
  const spread = pod.spec.topologySpreadConstraints ?? [];
  if (spread.length) notes.push(`${spread.length} topology spread constraint(s): one node is one domain per key`);
  return notes;
}

/** Admit the pod on this node, given the pods already admitted; pure. */
export function admit(pod: Pod, node: NodeInfo, others: PodOnNode[]): Verdict {
  const notes: string[] = [];
  const warnings: string[] = [];
  const refusals: Refusal[] = [];
  const verdict = (p: Pod, fit: ResourceFit[] = []): Verdict => ({
    pod: p,
    node: node.name,
    refusals,
    fit,
    notes,
    warnings,
  });
  const gates = pod.spec.schedulingGates ?? [];
  if (gates.length) {
    refusals.push({
      reason: 'SchedulingGated',
      message: 'Scheduling is blocked due to non-empty scheduling gates',
      detail: `gates: ${gates.map((g) => g.name).join(', ')}`,
    });
    return verdict(pod);
  }
  const prio = resolvePriority(pod);
  if ('forbidden' in prio) {
    refusals.push({ reason: 'Forbidden', message: `pods "${pod.metadata.name}" is forbidden: ${prio.forbidden}` });
    return verdict(pod);
  }
  const bound: Pod = { ...pod, spec: { ...pod.spec, nodeName: pod.spec.nodeName ?? node.name, ...prio } };
  const fit = resourceFit(podRequests(pod), node, others);
  refusals.push(...fit.filter((f) => !f.fits).map(fitRefusal));
  const single = [
    affinityRefusal(pod, node, notes),
    pod.spec.nodeName && pod.spec.nodeName !== node.name
      ? {
          reason: 'NodeName',
          message: "node(s) didn't match the requested node name",
          detail: `nodeName is ${pod.spec.nodeName}, this node is ${node.name}`,
        }
      : undefined,
    portRefusal(pod, others),
    taintRefusal(pod, node, notes, warnings),
  ];
  refusals.push(
    ...single.filter((r): r is Refusal => r !== undefined),
    ...interPodRefusals(pod, node, others),
    ...spreadRefusals(pod, node, others),
  );
  // The kubelet's AppArmor admit handler runs after the scheduler's predicates.
  refusals.push(...lsmRefusals(pod, node.lsm ?? { apparmor: false, selinux: false }));
  notes.push(...trivialNotes(pod));
  if (refusals.length && prio.priority >= CRITICAL_PRIORITY) {
    warnings.push(
      `the pod is critical (priority ${prio.priority}): ` +
        'a kubelet would evict lower-priority pods to admit it; tspod does not evict',
    );
  }
  for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
    if (c.resources.limits?.['ephemeral-storage']) {
      warnings.push(
        `container "${c.name}": limits.ephemeral-storage is counted, not enforced ` +
          '(a kubelet evicts a pod that writes more; tspod does not measure disk use)',
      );
    }
  }
  return verdict(bound, fit);
}

export function describeFit(f: ResourceFit, others: number): string {
  const a = (n: number) => formatAmount(f.resource, n);
  const left = Math.max(0, f.allocatable - f.used);
  const by = others === 0 ? 'no pod' : others === 1 ? '1 pod' : `${others} pods`;
  return (
    `${f.resource}: requested ${a(f.requested)}, in use ${a(f.used)} by ${by}, ` +
    `allocatable ${a(f.allocatable)}: ${f.fits ? 'fits' : `does not fit (${a(left)} left)`}`
  );
}
