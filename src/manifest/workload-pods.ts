/**
 * The pods of a workload, named and labelled as their controllers make them.
 *
 * - `Deployment`: a ReplicaSet `NAME-<pod-template-hash>` owns the pods, `NAME-<hash>-<5 random>`,
 *   each labelled `pod-template-hash`. The hash is the deployment controller's ComputeHash: FNV-32a
 *   of the template, its decimal digits mapped onto the alphabet below (SafeEncodeString).
 * - `ReplicaSet`, `DaemonSet`, `Job`: `NAME-<5 random>`, the API server's generateName (a base of at
 *   most 58 characters, then 5 characters of "bcdfghjklmnpqrstvwxz2456789", which has no vowels so
 *   no word can be spelled and no digits 0, 1, 3 that look like letters).
 * - `StatefulSet`: `NAME-0` … `NAME-<replicas-1>` (from `ordinals.start`), hostname the pod's name,
 *   subdomain the `serviceName`, labels `statefulset.kubernetes.io/pod-name`,
 *   `apps.kubernetes.io/pod-index` and `controller-revision-hash` (the ControllerRevision's name,
 *   `NAME-<hash>`); each `volumeClaimTemplates` entry becomes the claim `TEMPLATE-POD`.
 * - `DaemonSet` pods also get `controller-revision-hash` (the hash alone) and
 *   `pod-template-generation: "1"`, and the tolerations the DaemonSet controller adds, so that the
 *   node's condition taints never keep its own daemon off it.
 * - `Job` pods get `batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name` and their
 *   legacy twins `controller-uid` and `job-name` (the labels the API server adds to the template).
 *
 * Every pod's `ownerReferences` names its controller (`controller: true, blockOwnerDeletion: true`).
 * The hashes are the controllers' functions over tspod's JSON of the template (keys sorted), not
 * over Go's in-memory structure, so the same template hashes to another value than on a cluster;
 * what holds is what matters to a reader: a changed template changes the hash.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { OwnerReference, Toleration } from './types.js';
import type { Workload } from './workloads.js';

export const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_BASE = 63 - 5;

export type RandomInt = (below: number) => number;

/** n characters of the generateName alphabet (apimachinery's rand.String). */
export function randomSuffix(n = 5, rand: RandomInt = randomInt): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_ALPHABET[rand(NAME_ALPHABET.length)];
  return s;
}

/** The API server's generateName: the base cut to 58 characters, then 5 random ones. */
export function generateName(base: string, rand: RandomInt = randomInt): string {
  return base.slice(0, MAX_GENERATED_BASE) + randomSuffix(5, rand);
}

/** apimachinery's SafeEncodeString: each character mapped onto the alphabet by its code. */
export function safeEncodeString(s: string): string {
  return [...s].map((c) => NAME_ALPHABET[c.codePointAt(0)! % NAME_ALPHABET.length]).join('');
}

function fnv(bytes: Buffer, a: boolean): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    if (a) h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
    if (!a) h ^= b;
  }
  return h >>> 0;
}
/** FNV-1a, 32 bits (Go's hash/fnv New32a). */
export const fnv32a = (bytes: Buffer) => fnv(bytes, true);
/** FNV-1, 32 bits (Go's hash/fnv New32). */
export const fnv32 = (bytes: Buffer) => fnv(bytes, false);

/** JSON with every object's keys sorted: one text per value. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The deployment controller's pod-template-hash (ComputeHash, no collisions counted). */
export function podTemplateHash(template: Workload['template']): string {
  return safeEncodeString(String(fnv32a(Buffer.from(canonicalJson(template)))));
}

/** A ControllerRevision's hash (HashControllerRevision over the revision's patch of the template). */
export function revisionHash(template: Workload['template']): string {
  const patch = { spec: { template: { ...template, $patch: 'replace' } } };
  return safeEncodeString(String(fnv32(Buffer.from(canonicalJson(patch)))));
}

/** The DaemonSet controller's tolerations (AddOrUpdateDaemonPodTolerations). */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export interface PodOptions {
  rand?: RandomInt;
  /** the uid of the workload (its own, or made now) */
  uid: string;
}

/** A pod manifest (not yet validated) from the template. */
function podFrom(
  w: Workload,
  name: string,
  labels: Record<string, string>,
  owner: OwnerReference,
  spec: Record<string, unknown> = w.template.spec,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: w.metadata.namespace,
      labels: { ...w.template.metadata.labels, ...labels },
      ...(w.template.metadata.annotations ? { annotations: w.template.metadata.annotations } : {}),
      ownerReferences: [owner],
    },
    spec,
  };
}

const ownerRef = (apiVersion: string, kind: string, name: string, uid: string): OwnerReference => ({
  apiVersion,
  kind,
  name,
  uid,
  controller: true,
  blockOwnerDeletion: true,
});

/** The name of the ReplicaSet a Deployment makes for its template. */
export function replicaSetName(w: Workload): string {
  return `${w.metadata.name}-${podTemplateHash(w.template)}`;
}

function statefulSetPod(w: Workload, i: number, owner: OwnerReference, revision: string): Record<string, unknown> {
  const name = `${w.metadata.name}-${i}`;
  const sts = w.statefulSet!;
  const claims = sts.claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: `${c}-${name}` } }));
  const volumes = ((w.template.spec.volumes ?? []) as { name: string }[]).filter((v) => !sts.claims.includes(v.name));
  const spec = {
    ...w.template.spec,
    hostname: name,
    ...(sts.serviceName ? { subdomain: sts.serviceName } : {}),
    volumes: [...volumes, ...claims],
  };
  return podFrom(
    w,
    name,
    {
      'controller-revision-hash': revision,
      'statefulset.kubernetes.io/pod-name': name,
      'apps.kubernetes.io/pod-index': String(i),
    },
    owner,
    spec,
  );
}

/** The pods a Deployment, ReplicaSet, StatefulSet or DaemonSet makes (a Job's: jobPod). */
export function workloadPods(w: Workload, o: PodOptions): Record<string, unknown>[] {
  const rand = o.rand ?? randomInt;
  const n = w.paused ? 0 : w.replicas;
  const each = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
  switch (w.kind) {
    case 'Deployment': {
      const hash = podTemplateHash(w.template);
      const rs = ownerRef('apps/v1', 'ReplicaSet', replicaSetName(w), randomUUID());
      return each(() => podFrom(w, generateName(`${rs.name}-`, rand), { 'pod-template-hash': hash }, rs));
    }
    case 'ReplicaSet': {
      const owner = ownerRef('apps/v1', 'ReplicaSet', w.metadata.name, o.uid);
      return each(() => podFrom(w, generateName(`${w.metadata.name}-`, rand), {}, owner));
    }
    case 'StatefulSet': {
      const owner = ownerRef('apps/v1', 'StatefulSet', w.metadata.name, o.uid);
      const revision = `${w.metadata.name}-${revisionHash(w.template)}`;
      return each((i) => statefulSetPod(w, w.statefulSet!.start + i, owner, revision));
    }
    case 'DaemonSet': {
      const owner = ownerRef('apps/v1', 'DaemonSet', w.metadata.name, o.uid);
      const tolerations = [...((w.template.spec.tolerations ?? []) as Toleration[]), ...DAEMON_TOLERATIONS];
      return each(() =>
        podFrom(
          w,
          generateName(`${w.metadata.name}-`, rand),
          { 'controller-revision-hash': revisionHash(w.template), 'pod-template-generation': '1' },
          owner,
          { ...w.template.spec, tolerations },
        ),
      );
    }
    case 'Job':
      throw new Error("a Job's pods are made by its controller, one at a time (jobPod)");
  }
}

/** The labels the API server adds to a Job's template (and selects its pods by). */
export function jobLabels(w: Workload, uid: string): Record<string, string> {
  return {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': w.metadata.name,
    'controller-uid': uid,
    'job-name': w.metadata.name,
  };
}

/** One more pod of a Job. */
export function jobPod(w: Workload, o: PodOptions): Record<string, unknown> {
  return podFrom(
    w,
    generateName(`${w.metadata.name}-`, o.rand),
    jobLabels(w, o.uid),
    ownerRef('batch/v1', 'Job', w.metadata.name, o.uid),
  );
}
