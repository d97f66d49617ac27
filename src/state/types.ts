/**
 * What tspod records about a pod: the Kubernetes view (the spec as run and a PodStatus) and the
 * host view (processes, mounts, cgroups, the network attachment) that teardown and `gc` undo.
 */
import type { ImageRecord } from '../image/store.js';
import type { Pod } from '../manifest/types.js';
import type { LedgerEntry } from '../plan/host-steps.js';
import type { SeccompStep } from '../plan/inputs.js';

/** A process, identified beyond its pid: the start time tells a recycled pid apart. */
export interface ProcessRef {
  pid: number;
  /** field 22 of /proc/<pid>/stat (clock ticks after boot) */
  startTime: number;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt?: string;
        finishedAt: string;
        containerID?: string;
      };
    };

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
  ready: boolean;
  started: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
}

export interface PodCondition {
  type: 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready';
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface PodStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  reason?: string;
  message?: string;
  hostIP?: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  /** Guaranteed, Burstable or BestEffort (supervisor/qos.ts) */
  qosClass?: 'Guaranteed' | 'Burstable' | 'BestEffort';
  conditions: PodCondition[];
  initContainerStatuses: ContainerStatus[];
  containerStatuses: ContainerStatus[];
}

/** What `tspod exec` needs to start a process exactly like the container's own. */
export interface ExecContext {
  env: string[];
  workingDir: string;
  user?: { uid: number; gid: number; groups: number[] };
  capabilities: string[];
  noNewPrivs: boolean;
  /** the container's seccomp filter (absent: none), loaded by every process that joins it */
  seccomp?: SeccompStep;
  /** cgroup.procs files of the running instance's cgroup */
  cgroupProcs: string[];
  /** the container joined the pod's user namespace (hostUsers: false): so does the process */
  userns?: boolean;
}

export interface ContainerRecord {
  /** the running instance, while it runs */
  process?: ProcessRef;
  /** how to join the running instance (tspod exec) */
  exec?: ExecContext;
  /** instance number: 0 for the first run, +1 per restart (names the layer and log directories) */
  instance: number;
  /** the running instance's cgroup directories (removed when it ends) */
  cgroupDirs?: string[];
  /** the running instance's log monitor (native/monitor.c), which a supervisor that adopts the pod must watch */
  logMonitor?: ProcessRef;
  /**
   * The restart back-off (supervisor/backoff.ts), kept here so that it survives the supervisor:
   * back-offs since the last reset, and when the start it delays is due (while it waits).
   */
  backoff?: { count: number; restartAt?: string };
}

/** A Kubernetes core/v1 Event about the pod or one of its containers (src/events/events.ts). */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** the pod; `fieldPath` (`spec.containers{web}`) when the event is about one container */
  involvedObject: { kind: 'Pod'; fieldPath?: string };
  source: { component: string };
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

export interface PodState {
  version: 1;
  name: string;
  uid: string;
  createdAt: string;
  pod: Pod;
  status: PodStatus;
  /** the process that runs and supervises the pod */
  supervisor: ProcessRef;
  /** detached (run -d) or kept (--keep): stays listed after it terminates, until `tspod rm` */
  keep: boolean;
  infra?: ProcessRef;
  containers: Record<string, ContainerRecord>;
  /**
   * The pod's host steps, each recorded before it is done (runtime/ledger.ts): teardown, whoever
   * does it, walks them backwards. Absent in states of tspods before the ledger (gc converts those).
   */
  ledger?: LedgerEntry[];
  /** host mount points made for this pod (recorded before mounting); the ledger's mounts, for older readers */
  mounts: string[];
  /** cgroup directories made for this pod, removed at teardown (children first) */
  cgroups: string[];
  /** hostUsers: false: the pod's 65536 host ids (claimed before use, freed at teardown; state/userns-ranges.ts) */
  userns?: { hostId: number; length: number };
  /** the CNI attachment (recorded before the netns is pinned), undone at teardown */
  network?: unknown;
  /** ids of the images the pod's containers use (the image store refuses to remove them) */
  images: string[];
  /** what happened to the pod, oldest first (src/events/events.ts); absent in states of older tspods */
  events?: PodEvent[];
  /**
   * Set when the pod is being stopped (`tspod stop`, a signal, `rm -f`): when its grace period
   * ends. Shown as the Pod's `metadata.deletionTimestamp`, which makes kubectl's STATUS `Terminating`.
   */
  deletion?: { timestamp: string; gracePeriodSeconds: number };
  /**
   * What a supervisor that adopts the pod (supervisor/adopt.ts) needs and the rest of the state
   * does not say: the network it was run on and its containers' images. (Its ConfigMaps and
   * Secrets are never written to a file: an adopted pod's restarts cannot read them again.)
   */
  adoption?: { network: string; images: Record<string, ImageRecord> };
  /** true once teardown finished: nothing of the pod is left on the host but its logs and state */
  tornDown?: boolean;
}
