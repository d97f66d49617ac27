/**
 * What the planners need to know, already resolved from the manifest, the image and the host.
 *
 * Keeping these separate from the manifest types keeps planning a small pure step: "given these
 * facts, these are the syscalls, in this order". pod-inputs.ts derives them from a Pod.
 */
import type { CgroupMount } from '../cgroups/detect.js';
import type { CapName } from './capabilities.js';
import type { NativeOp, NsName, SourceType } from './types.js';

/** A `seccomp` op without its `why`: the resolved filter, where it came from, its compiled size. */
export type SeccompStep = Omit<Extract<NativeOp, { op: 'seccomp' }>, 'why' | 'op'>;

export interface InfraInput {
  /** namespaces the pod gets of its own (the rest stay the host's: hostNetwork, hostIPC, hostPID) */
  namespaces: NsName[];
  hostname: string;
  /** namespaced sysctls from spec.securityContext.sysctls, written inside the pod's namespaces */
  sysctls: { name: string; value: string }[];
  /** empty host directory that becomes the infra's tiny root (a tmpfs holding only the pause program) */
  infraRoot: string;
  pauseBinary: string;
  /** cgroup.procs files of the pod's cgroup (one per v1 hierarchy, or one on v2) */
  cgroupProcs: string[];
  /** hostUsers: false: the user namespace's uid_map and gid_map lines (runtime/userns.ts) */
  userns?: { uidMap: string; gidMap: string };
}

export interface BindMount {
  /** host path (a volume's directory, a pod file) */
  source: string;
  /** path inside `source`, resolved without leaving it (volumeMounts[].subPath) */
  subPath?: string;
  /** path inside the container */
  target: string;
  readOnly: boolean;
  /** what this mount is, for --explain ("volume shared-data") */
  what: string;
  /** the type `source` must be when it is bound (a typed hostPath) */
  sourceType?: SourceType;
  /** in a pod with a user namespace: seen through it (idmapped), so its root-owned files are the pod root's */
  idmap?: boolean;
}

export interface ContainerInput {
  name: string;
  /** namespaces of the infra to join (net, ipc, uts: whichever the pod has of its own) */
  joinInfra: NsName[];
  /** shareProcessNamespace: join the infra's PID namespace instead of creating one */
  sharePid: boolean;
  /** hostPID: stay in the host's PID namespace */
  hostPid: boolean;
  /** the overlay root: `lowers` are the image's layer directories, topmost first */
  rootfs: {
    lowers: string[];
    upper: string;
    work: string;
    mountPoint: string;
    readOnly: boolean;
    /** the kernel takes overlay's "lowerdir+" key (Linux 6.8+) */
    lowerdirPlus: boolean;
    /** with a user namespace: where each of `lowers` is idmapped first (the overlay's lower directories then) */
    idmapped?: string[];
  };
  /** hostUsers: false: join the pod's user namespace last (see plan/container.ts) */
  userns: boolean;
  /** procMount: Unmasked: no masked or read-only /proc and /sys paths */
  procUnmasked: boolean;
  /** /etc/hosts, /etc/hostname, /etc/resolv.conf, /dev/termination-log... (host files) */
  podFiles: BindMount[];
  /** the pod's shared /dev/shm (a tmpfs on the host) */
  shm: string;
  volumes: BindMount[];
  privileged: boolean;
  process: { argv: string[]; env: string[]; workingDir: string };
  /** `tty: true`: the process's stdio is a terminal of the container's own devpts */
  tty: boolean;
  /** uid/gid/supplementary groups; absent: the image's default, root */
  user?: { uid: number; gid: number; groups: number[] };
  capabilities: CapName[];
  noNewPrivs: boolean;
  /** the seccomp filter to load before exec; absent: Unconfined (or privileged) */
  seccomp?: SeccompStep;
  cgroupProcs: string[];
  /** the cgroup file systems shown at /sys/fs/cgroup */
  cgroupMounts: CgroupMount[];
}
