/**
 * The pod's host side as data: what tspod does on the host for a pod before its first container
 * starts, one step at a time, each with its `why`, as the process ops (types.ts) are for a process.
 *
 * A pod's host steps are planned by a pure function (runtime/pod-plan.ts) from the pod and the
 * host's facts, printed by `--dry-run`, and run by one executor (runtime/ledger.ts) that records
 * each step in the pod's state before doing it. Every kind has one undo, and teardown walks the
 * recorded steps backwards, whoever tears down (the supervisor at the end or after a failed start,
 * `rm -f`, `gc` after a killed supervisor). Each undo is idempotent and tolerates its act never
 * having happened: a crash between recording a step and doing it leaves a step to undo that did
 * nothing.
 *
 * A new kind of host step is: a member of `HostStep` here, its line in `describeHostStep`, its
 * place in the plan (runtime/pod-plan.ts, with the why of that place), its act (runtime/ledger.ts
 * actSimply, or runtime/sandbox.ts when it needs the pod's machinery) and its undo
 * (runtime/ledger.ts undoStep); the compiler points at each switch that lacks it.
 */
import type { Limits } from '../cgroups/limits.js';
import type { PortMapping } from '../network/types.js';
import type { Plan } from './types.js';

interface Why {
  /** one line for `--dry-run` and `--explain`: why this step, and why here */
  why: string;
}

export type HostStep = Why &
  /** a directory; undo removes it (rm -rf) unless `keep`: kept ones go when the pod is removed */
  (
    | { kind: 'mkdir'; path: string; mode?: number; keep?: boolean }
    /** hostUsers: false: claim the pod's range of host ids (recorded in the state); undo frees it */
    | { kind: 'userns'; length: number }
    /** hostUsers: false: give the emptyDirs to the pod's host ids (they go with the volumes directory) */
    | { kind: 'idShift'; volumes: string[] }
    /** a file of the pod's run directory (removed with the pod, so nothing to undo) */
    | { kind: 'writeFile'; path: string; content: string; mode?: number }
    /** a tmpfs of the pod's; undo unmounts it */
    | { kind: 'tmpfs'; source: string; target: string; flags: string[]; options: string }
    /** a volume made (runtime/volumes.ts); undo unmounts what it recorded having mounted */
    | { kind: 'volume'; volume: string; type: string; path: string }
    /** a cgroup in every hierarchy (`dirs`), with limits; undo removes it and everything in it */
    | { kind: 'cgroup'; rel: string; dirs: string[]; limits: Limits }
    /** the infra (pause) process from its plan; undo stops it */
    | { kind: 'infra'; plan: Plan }
    /** CNI ADD of the infra's network namespace (plugins in order); undo is DEL and unpinning */
    | {
        kind: 'network';
        network: string;
        source: string;
        plugins: string[];
        portMappings: PortMapping[];
        hostsFile: string;
      }
    /** from here on the pod's containers run; undo kills any still running */
    | { kind: 'containers'; names: string[] }
  );

export type HostStepKind = HostStep['kind'];

/** One host step of a pod, as its ledger (the pod's state) holds it. */
export interface LedgerEntry {
  step: HostStep;
  /** set once the step's act finished (absent: recorded, then perhaps done, perhaps not) */
  done?: boolean;
  /** the mount points a volume step made (each recorded before it is mounted) */
  mounts?: string[];
}

function limitsText(l: Limits): string {
  const parts = [
    ...(l.memoryBytes !== undefined ? [`memory ${l.memoryBytes}`] : []),
    ...(l.cpuMillis !== undefined ? [`cpu ${l.cpuMillis}m`] : []),
    ...(l.cpuRequestMillis !== undefined ? [`cpu weight for ${l.cpuRequestMillis}m`] : []),
    ...(l.devices
      ? [
          `device policy: ${l.devices.length} rules (${l.devices.map((d) => `${d.type} ${d.major ?? '*'}:${d.minor ?? '*'} ${d.access}`).join(', ')})`,
        ]
      : []),
  ];
  return parts.length ? parts.join(', ') : 'no limits';
}

/** One line per step: what it does (without the why). */
export function describeHostStep(s: HostStep): string {
  switch (s.kind) {
    case 'mkdir':
      return `mkdir ${s.path}${s.mode !== undefined ? ` (mode ${s.mode.toString(8)})` : ''}${s.keep ? ' (kept until rm)' : ''}`;
    case 'writeFile':
      return `write ${s.path} (${Buffer.byteLength(s.content)} bytes)`;
    case 'userns':
      return `claim ${s.length} host ids for the pod's user namespace (hostUsers: false)`;
    case 'idShift':
      return `emptyDirs ${s.volumes.map((v) => `"${v}"`).join(', ')}: owned by the pod's root (ids shifted into its range)`;
    case 'tmpfs':
      return `mount tmpfs ${s.target} (${[...s.flags.map((f) => f.toLowerCase()), s.options].join(',')})`;
    case 'volume':
      return `volume "${s.volume}": ${s.type} at ${s.path}`;
    case 'cgroup':
      return `cgroup ${s.rel}: ${limitsText(s.limits)} [${s.dirs.join(', ')}]`;
    case 'infra':
      return `spawn the infra (${s.plan.ops.length} steps, below)`;
    case 'network':
      return `CNI ADD network "${s.network}" (${s.source}): ${s.plugins.join(' → ')}${s.portMappings.length ? `, ports ${s.portMappings.map((p) => `${p.hostPort}:${p.containerPort}/${p.protocol}`).join(' ')}` : ''}`;
    case 'containers':
      return `run the containers: ${s.names.join(', ')}`;
  }
}

/** The host steps as `--dry-run` prints them: numbered like a plan's ops, each with its why. */
export function formatHostSteps(steps: HostStep[]): string[] {
  return [
    "host: the pod's steps on the host, in order (teardown undoes them in reverse)",
    ...steps.map((s, i) => `${String(i + 1).padStart(3)}. ${describeHostStep(s)}  # ${s.why}`),
  ];
}
