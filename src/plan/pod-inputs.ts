/**
 * From a Pod to the planners' inputs: which namespaces the pod owns, which host paths each mount
 * comes from, which capabilities and user a container gets. Pure: the facts that need the host
 * (the image, the user database of the image, cgroup paths) are passed in.
 */
import os from 'node:os';
import path from 'node:path';
import { podHostname } from '../manifest/index.js';
import { ownUserNamespace } from '../manifest/user-namespace.js';
import type { Container, ImageConfig, Pod, ProcessSpec } from '../manifest/types.js';
import type { InstanceDirs, PodLayout } from '../layout.js';
import type { CgroupMount } from '../cgroups/detect.js';
import { containerCapabilities, type CapName } from './capabilities.js';
import type { BindMount, ContainerInput, InfraInput } from './inputs.js';
import type { NsName, SourceType } from './types.js';

/**
 * The namespaces the infra creates. hostNetwork also keeps the host's UTS namespace (the pod is
 * named as the node, as the kubelet does); hostIPC and hostPID keep theirs.
 */
export function podNamespaces(pod: Pod): NsName[] {
  const s = pod.spec;
  const own: NsName[] = [];
  if (!s.hostNetwork) own.push('uts', 'net');
  if (!s.hostIPC) own.push('ipc');
  if (!s.hostPID) own.push('pid');
  return own;
}

/** The name the pod's containers see: the node's for hostNetwork (the host's UTS namespace), else the pod's. */
export function podHostnameOn(pod: Pod, nodeName: string): string {
  return pod.spec.hostNetwork ? nodeName : podHostname(pod);
}

export function infraInput(
  pod: Pod,
  layout: PodLayout,
  facts: { pauseBinary: string; cgroupProcs: string[]; idMap?: string },
): InfraInput {
  if (ownUserNamespace(pod) && !facts.idMap) throw new Error('a pod with hostUsers: false needs its id range');
  return {
    ...(ownUserNamespace(pod) ? { userns: { uidMap: facts.idMap!, gidMap: facts.idMap! } } : {}),
    namespaces: podNamespaces(pod),
    hostname: podHostname(pod),
    sysctls: pod.spec.securityContext.sysctls ?? [],
    infraRoot: layout.infraRoot,
    pauseBinary: facts.pauseBinary,
    cgroupProcs: facts.cgroupProcs,
  };
}

/** The host directory behind a volume. */
export function volumeSource(pod: Pod, layout: PodLayout, name: string): string {
  const v = pod.spec.volumes.find((x) => x.name === name);
  if (!v) throw new Error(`volume "${name}" is not defined in spec.volumes`);
  if (v.persistentVolumeClaim) return layout.claim(v.persistentVolumeClaim.claimName);
  return v.hostPath ? v.hostPath.path : layout.volume(name);
}

/**
 * The file type a hostPath volume's `type` requires of the path, or undefined (untyped). The
 * addon checks it on the very fd it binds from (after following symlinks, as the kubelet's stat
 * does), so a path swapped after tspod's first check cannot be bound as something else.
 */
export function hostPathSourceType(pod: Pod, name: string): SourceType | undefined {
  const type = pod.spec.volumes.find((x) => x.name === name)?.hostPath?.type;
  const byType: Record<string, SourceType> = {
    Directory: 'directory',
    DirectoryOrCreate: 'directory',
    File: 'file',
    FileOrCreate: 'file',
    Socket: 'socket',
    CharDevice: 'charDevice',
    BlockDevice: 'blockDevice',
  };
  return type ? byType[type] : undefined;
}

/**
 * In a pod with a user namespace, which volumes are seen through it (idmapped mounts): the ones
 * whose files tspod writes for the pod as host root (configMap, secret, downwardAPI, projected) and
 * the named volumes of claims (their files keep pod-relative ids on disk, whichever range the next
 * pod gets). Not hostPath: that is the host's data, with the host's owners, and host root's files
 * stay out of reach of the pod's root. Not emptyDir: tspod makes it owned by the pod's host ids
 * (runtime/userns.ts), so what a container writes there belongs on the host to the ids it ran as.
 * Not image volumes: each is an overlayfs mount of the image's layers, which the kernel cannot
 * idmap (mount_setattr answers EINVAL), so their files show the overflow id 65534 (read-only anyway).
 */
function idmapped(pod: Pod, name: string): boolean {
  const v = pod.spec.volumes.find((x) => x.name === name);
  return (
    ownUserNamespace(pod) &&
    Boolean(v?.configMap || v?.secret || v?.downwardAPI || v?.projected || v?.persistentVolumeClaim)
  );
}

/** Where lower layer `i` of a userns container's image is idmapped before the overlay is mounted. */
export function idmappedLayerDir(instance: InstanceDirs, i: number): string {
  return path.join(instance.dir, `idmapped-${i}`);
}

function alwaysReadOnly(pod: Pod, name: string): boolean {
  const v = pod.spec.volumes.find((x) => x.name === name);
  return Boolean(
    v?.configMap || v?.secret || v?.downwardAPI || v?.projected || v?.image || v?.persistentVolumeClaim?.readOnly,
  );
}

/** `subPaths[i]`: mount i's subPath as resolved at start (subPathExpr expanded); else its subPath. */
function volumeMounts(pod: Pod, layout: PodLayout, c: Container, subPaths?: (string | undefined)[]): BindMount[] {
  return c.volumeMounts.map((m, i) => ({
    source: volumeSource(pod, layout, m.name),
    ...((subPaths ? subPaths[i] : m.subPath) ? { subPath: (subPaths ? subPaths[i] : m.subPath)! } : {}),
    target: m.mountPath,
    // configMap, secret, downwardAPI, projected and image volumes are always read-only, as the kubelet mounts them.
    readOnly: (m.readOnly ?? false) || alwaysReadOnly(pod, m.name),
    what: `volume "${m.name}"${m.readOnly || alwaysReadOnly(pod, m.name) ? ' (read-only)' : ''}`,
    ...(hostPathSourceType(pod, m.name) ? { sourceType: hostPathSourceType(pod, m.name) } : {}),
    ...(idmapped(pod, m.name) ? { idmap: true } : {}),
  }));
}

/** The files the kubelet manages, one copy per pod, bind-mounted into every container. */
function podFiles(layout: PodLayout, c: Container, terminationLog: string, userns: boolean): BindMount[] {
  // With a user namespace they are idmapped: root-owned on the host, the pod's root's inside.
  const file = (source: string, target: string, what: string): BindMount => ({
    source,
    target,
    readOnly: false,
    what,
    ...(userns ? { idmap: true } : {}),
  });
  return [
    file(layout.hosts, '/etc/hosts', "the pod's /etc/hosts (one file for every container)"),
    file(layout.hostname, '/etc/hostname', "the pod's hostname file"),
    file(layout.resolvConf, '/etc/resolv.conf', "the pod's resolver configuration"),
    file(terminationLog, c.terminationMessagePath, 'where the container may leave its termination message'),
  ];
}

export interface ContainerFacts {
  /** the image's layer directories (topmost first) and its config */
  image: { lowerDirs: string[]; config: ImageConfig };
  /** each volumeMount's subPath, subPathExpr expanded (manifest/process.ts mountSubPath) */
  subPaths?: (string | undefined)[];
  process: ProcessSpec;
  instance: InstanceDirs;
  terminationLog: string;
  /** uid/gid resolved from securityContext or the image's User; absent: root */
  user?: { uid: number; gid: number; groups: number[] };
  cgroupProcs: string[];
  /** capabilities the runtime itself holds (its bounding set); absent: all */
  available?: CapName[];
  /** what the container sees at /sys/fs/cgroup; absent: nothing mounted there */
  cgroupMounts?: CgroupMount[];
  /** the running kernel's release (absent: this host's, os.release()) */
  kernelRelease?: string;
}

/** True when the kernel release (`6.18.44-...`) is at least major.minor. */
export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

export function containerInput(pod: Pod, layout: PodLayout, c: Container, f: ContainerFacts): ContainerInput {
  const sc = c.securityContext ?? {};
  const own = podNamespaces(pod);
  return {
    name: c.name,
    joinInfra: own.filter((n) => n !== 'pid'),
    sharePid: pod.spec.shareProcessNamespace && !pod.spec.hostPID,
    hostPid: pod.spec.hostPID,
    rootfs: {
      lowers: f.image.lowerDirs,
      lowerdirPlus: kernelAtLeast(f.kernelRelease ?? os.release(), 6, 8),
      upper: f.instance.upper,
      work: f.instance.work,
      mountPoint: f.instance.rootfs,
      readOnly: sc.readOnlyRootFilesystem ?? false,
      ...(ownUserNamespace(pod) ? { idmapped: f.image.lowerDirs.map((_, i) => idmappedLayerDir(f.instance, i)) } : {}),
    },
    userns: ownUserNamespace(pod),
    procUnmasked: sc.procMount === 'Unmasked',
    podFiles: podFiles(layout, c, f.terminationLog, ownUserNamespace(pod)),
    shm: layout.shm,
    volumes: volumeMounts(pod, layout, c, f.subPaths),
    privileged: sc.privileged ?? false,
    process: f.process,
    tty: c.tty ?? false,
    ...(f.user ? { user: f.user } : {}),
    capabilities: containerCapabilities({
      privileged: sc.privileged,
      add: sc.capabilities?.add,
      drop: sc.capabilities?.drop,
      available: f.available,
    }),
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    cgroupProcs: f.cgroupProcs,
    cgroupMounts: f.cgroupMounts ?? [],
  };
}
