/**
 * Which workload a pod belongs to, read from the pod itself, as the garbage collector reads it: the
 * `ownerReferences` entry with `controller: true`. A Deployment's pods are owned by its ReplicaSet
 * `NAME-<pod-template-hash>`, so a ReplicaSet owner whose name ends with the pod's own
 * `pod-template-hash` label stands for the Deployment `NAME`. No other record is kept: what a file
 * made is found again from the pods on the node (`tspod down`, `run --replace`).
 */
import type { Pod } from '../manifest/index.js';
import type { Roots } from '../paths.js';
import { listPods } from '../pods/pods.js';

export interface Owner {
  kind: string;
  name: string;
  namespace: string;
}

export function ownerOf(pod: Pod): Owner | undefined {
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
  if (!ref) return undefined;
  const ns = pod.metadata.namespace;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: ref.name.slice(0, -hash.length - 1), namespace: ns };
  }
  return { kind: ref.kind, name: ref.name, namespace: ns };
}

export const sameOwner = (a: Owner, b: Owner) => a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;

export const describeOwner = (o: Owner) =>
  `${o.kind} "${o.name}"${o.namespace === 'default' ? '' : ` (namespace ${o.namespace})`}`;

/** The names of the pods on this node that the workload owns, sorted. */
export async function podsOwnedBy(roots: Roots, owner: Owner): Promise<string[]> {
  const out: string[] = [];
  for (const p of await listPods(roots)) {
    const o = p.state && ownerOf(p.state.pod);
    if (o && sameOwner(o, owner)) out.push(p.name);
  }
  return out.sort();
}
