/**
 * The namespaces of a pod's processes, as the kernel shows them: `/proc/<pid>/ns/<kind>` is a
 * symbolic link whose text is `<kind>:[<inode>]`, and two processes are in the same namespace
 * exactly when the inodes are equal. `tspod ns` lays them side by side: the infra, then each
 * container's main process, one column per kind, so the sharing a pod is made of (one net, ipc and
 * uts namespace; a mount namespace per container) can be seen, not just believed.
 *
 * Pids come from the recorded state and are checked against their recorded start time first, so a
 * recycled pid is never mistaken for the pod's process.
 */
import fs from 'node:fs';
import { NAMESPACES } from '../plan/abi.js';
import { isAlive } from '../state/store.js';
import type { PodState, ProcessRef } from '../state/types.js';
import { containerNames } from './pods.js';
import { padColumns } from '../table.js';

export type NsInodes = Record<string, number>;

export interface ProcessNs {
  pid: number;
  ns: NsInodes;
}

export interface PodNamespaces {
  infra?: ProcessNs;
  containers: Record<string, ProcessNs>;
}

/** The namespace inodes of a process (kinds the kernel lacks are left out). */
export function readNamespaces(pid: number | 'self'): NsInodes {
  const ns: NsInodes = {};
  for (const kind of NAMESPACES) {
    try {
      const m = /:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/ns/${kind}`));
      if (m) ns[kind] = Number(m[1]);
    } catch {
      // this kernel has no such namespace kind
    }
  }
  return ns;
}

/** Namespaces of a recorded process, or undefined when it is gone (checked before and after reading). */
function readRef(ref: ProcessRef | undefined): ProcessNs | undefined {
  if (!ref || !isAlive(ref)) return undefined;
  const ns = readNamespaces(ref.pid);
  return isAlive(ref) ? { pid: ref.pid, ns } : undefined;
}

/** The infra and every running container's main process (containers that do not run are left out). */
export function podNamespaces(state: PodState): PodNamespaces {
  const infra = readRef(state.infra);
  const out: PodNamespaces = { ...(infra ? { infra } : {}), containers: {} };
  for (const c of containerNames(state)) {
    const p = readRef(state.containers[c]?.process);
    if (p) out.containers[c] = p;
  }
  return out;
}

/**
 * The table of `tspod ns`: a row per process, a column per kind. An inode shared by several of the
 * pod's processes is marked `*`; one that is the host's (that of tspod itself, which never leaves the
 * host's namespaces) is marked `^`.
 */
export function formatNsTable(pod: PodNamespaces, host: NsInodes): string {
  const rows: [string, ProcessNs][] = [
    ...(pod.infra ? [['infra', pod.infra] as [string, ProcessNs]] : []),
    ...Object.entries(pod.containers),
  ];
  const kinds = NAMESPACES.filter((k) => rows.some(([, p]) => p.ns[k] !== undefined));
  const count = (k: string, inode: number) => rows.filter(([, p]) => p.ns[k] === inode).length;
  const cell = (k: string, inode: number | undefined) => {
    if (inode === undefined) return '-';
    return `${inode}${count(k, inode) > 1 ? '*' : ''}${host[k] === inode ? '^' : ''}`;
  };
  const cells = [
    ['PROCESS', 'PID', ...kinds.map((k) => k.toUpperCase())],
    ...rows.map(([name, p]) => [name, String(p.pid), ...kinds.map((k) => cell(k, p.ns[k]))]),
  ];
  const lines = padColumns(cells, 2);
  return [...lines, '', "* shared by several of the pod's processes   ^ the host's namespace"].join('\n') + '\n';
}
