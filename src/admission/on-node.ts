/**
 * Admission against the pods already on this node, made safe against a second `tspod run` doing
 * the same at the same moment.
 *
 * The pods on the node are the pods of tspod's run root that have not ended: their state is there,
 * not torn down, and their phase is neither Succeeded nor Failed (the kubelet counts active pods
 * the same way: a finished pod holds nothing). Each is counted by the spec it was admitted with.
 *
 * Two runs that both checked the node and then both started could together overcommit it. So a
 * run takes the node lock (an flock(2) on `<run-root>/node.lock`), admits, and records its own
 * state before it lets go: the next run, waiting on the lock, then counts it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Pod } from '../manifest/types.js';
import { kernel } from '../kernel.js';
import { loadNode, type NodeInfo } from '../node/node.js';
import { podRequests } from '../node/requests.js';
import type { Roots } from '../paths.js';
import { listPodNames, readState } from '../state/store.js';
import { admit, describeFit } from './admit.js';
import type { PodOnNode, Verdict } from './types.js';
import { nth } from '../checked.js';

export function onNode(pod: Pod): PodOnNode {
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace,
    labels: pod.metadata.labels ?? {},
    requests: podRequests(pod),
    hostPorts: [...pod.spec.initContainers, ...pod.spec.containers].flatMap((c) =>
      c.ports
        .filter((p) => p.hostPort)
        .map((p) => ({ port: p.hostPort!, protocol: p.protocol, hostIP: p.hostIP ?? '' })),
    ),
    antiAffinity: pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
  };
}

/** The pods that hold part of the node now. */
export async function podsOnNode(roots: Roots, except?: string): Promise<PodOnNode[]> {
  const out: PodOnNode[] = [];
  for (const name of await listPodNames(roots)) {
    if (name === except) continue;
    const state = await readState(roots, name).catch(() => undefined);
    if (!state || state.tornDown || state.status.phase === 'Succeeded' || state.status.phase === 'Failed') continue;
    out.push(onNode(state.pod));
  }
  return out;
}

/** Run `fn` holding the node lock (blocking: other runs hold it for a few milliseconds). */
export async function withNodeLock<T>(roots: Roots, fn: () => Promise<T>): Promise<T> {
  await fsp.mkdir(roots.runRoot, { recursive: true, mode: 0o700 });
  const fd = fs.openSync(path.join(roots.runRoot, 'node.lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    // Polled, never a blocking flock: the one supervisor admits many pods in one process, and a
    // blocking call would stop its event loop while another of its own pods holds the lock.
    while (!kernel.flock(fd, 'ex', false)) await new Promise((r) => setTimeout(r, 10));
    return await fn();
  } finally {
    fs.closeSync(fd);
  }
}

export class AdmissionError extends Error {
  constructor(readonly verdict: Verdict) {
    super(refusalText(verdict));
  }
}

/**
 * The refusal as tspod prints it: the kubelet's reason and message, then a line per check that failed and per
 * resource.
 */
export function refusalText(v: Verdict): string {
  const first = nth(v.refusals, 0); // a refusal is made of at least one
  const lines = [
    `pod "${v.pod.metadata.name}" was not admitted on node "${v.node}": ${first.reason}: ${first.message}`,
  ];
  for (const r of v.refusals) if (r.detail) lines.push(`  ${r.reason}: ${r.detail}`);
  const others = v.fit.find((f) => f.resource === 'pods')?.used ?? 0;
  for (const f of v.fit) lines.push(`  ${describeFit(f, others)}`);
  for (const w of v.warnings) lines.push(`  note: ${w}`);
  return lines.join('\n');
}

/** Admit the pod against the node as it is now; throws AdmissionError when it is refused. */
export async function admitOnNode(
  roots: Roots,
  pod: Pod,
  node: NodeInfo = loadNode(roots),
  extra: PodOnNode[] = [],
): Promise<Verdict> {
  const verdict = admit(pod, node, [...(await podsOnNode(roots, pod.metadata.name)), ...extra]);
  if (verdict.refusals.length) throw new AdmissionError(verdict);
  return verdict;
}

/** The admission as --explain and --dry-run tell it. */
export function explainAdmission(v: Verdict, node: NodeInfo): string[] {
  const others = v.fit.find((f) => f.resource === 'pods')?.used ?? 0;
  const lines = [
    `admission on node "${node.name}"${node.configFile ? ` (configured by ${node.configFile})` : ''}: ` +
      `${v.refusals[0] ? `refused, ${v.refusals[0].reason}` : 'admitted'}`,
    `  labels: ${Object.entries(node.labels)
      .map(([k, val]) => `${k}=${val}`)
      .join(', ')}`,
    `  taints: ${
      node.taints.length
        ? node.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ')
        : 'none'
    }`,

    ...v.fit.map((f) => `  ${describeFit(f, others)}`),
    ...v.refusals.map((r) => `  ${r.reason}: ${r.message}${r.detail ? ` (${r.detail})` : ''}`),
    ...v.notes.map((n) => `  ${n}`),
    ...v.warnings.map((w) => `  note: ${w}`),
  ];
  return lines;
}
