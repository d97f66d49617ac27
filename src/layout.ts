/**
 * Where a pod's pieces live on the host (ARCHITECTURE.md section 8).
 *
 * The run root holds what only matters while the pod exists (state, lock, the infra's empty root,
 * the pod's /dev/shm, the generated /etc files, the netns pin); the data root holds what may be
 * large (volumes, container layers, logs). One function computes every path, so teardown and `gc`
 * find exactly what start created.
 */
import path from 'node:path';
import { claimDir, podDataDir, podRunDir, type Roots } from './paths.js';

export interface InstanceDirs {
  dir: string;
  upper: string;
  work: string;
  /** where the overlay is mounted (inside the container's own mount namespace only) */
  rootfs: string;
}

export interface PodLayout {
  name: string;
  runDir: string;
  dataDir: string;
  stateFile: string;
  lockFile: string;
  controlSocket: string;
  infraRoot: string;
  shm: string;
  etcDir: string;
  hosts: string;
  hostname: string;
  resolvConf: string;
  volumesDir: string;
  containersDir: string;
  logsDir: string;
  volume(name: string): string;
  /** the data of the named volume behind a persistentVolumeClaim (outside the pod: kept) */
  claim(name: string): string;
  instance(container: string, restart: number): InstanceDirs;
  log(container: string, restart: number): string;
  terminationLog(container: string, restart: number): string;
}

/** The run root's own pieces: the one supervisor of its detached pods, and the exit records. */
export interface HostLayout {
  /** 0700, root's: the supervisor's socket, locks and log */
  supervisorDir: string;
  /** where `run -d` hands pods to the supervisor (supervisor/host-server.ts) */
  supervisorSocket: string;
  /** held (flock) by the supervisor that serves the socket, for as long as it does */
  supervisorLock: string;
  /** held while a supervisor is being started, or is leaving: one at a time (host-client.ts) */
  startLock: string;
  /** the supervisor's own messages (each pod's are in its supervisor.log) */
  supervisorLog: string;
  /** exit records of pod processes that ended while no supervisor lived (state/exits.ts) */
  exitsDir: string;
}

export function hostLayout(roots: Roots): HostLayout {
  const supervisorDir = path.join(roots.runRoot, 'supervisor');
  return {
    supervisorDir,
    supervisorSocket: path.join(supervisorDir, 'control.sock'),
    supervisorLock: path.join(supervisorDir, 'lock'),
    startLock: path.join(supervisorDir, 'start.lock'),
    supervisorLog: path.join(supervisorDir, 'supervisor.log'),
    exitsDir: path.join(roots.runRoot, 'exits'),
  };
}

export function podLayout(roots: Roots, name: string): PodLayout {
  const runDir = podRunDir(roots, name);
  const dataDir = podDataDir(roots, name);
  const etcDir = path.join(runDir, 'etc');
  const containersDir = path.join(dataDir, 'containers');
  const logsDir = path.join(dataDir, 'logs');
  return {
    name,
    runDir,
    dataDir,
    stateFile: path.join(runDir, 'state.json'),
    lockFile: path.join(runDir, 'lock'),
    controlSocket: path.join(runDir, 'control.sock'),
    infraRoot: path.join(runDir, 'infra-root'),
    shm: path.join(runDir, 'shm'),
    etcDir,
    hosts: path.join(etcDir, 'hosts'),
    hostname: path.join(etcDir, 'hostname'),
    resolvConf: path.join(etcDir, 'resolv.conf'),
    volumesDir: path.join(dataDir, 'volumes'),
    containersDir,
    logsDir,
    volume: (v) => path.join(dataDir, 'volumes', v),
    claim: (c) => claimDir(roots, c),
    instance: (c, n) => {
      const dir = path.join(containersDir, c, String(n));
      return { dir, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), rootfs: path.join(dir, 'rootfs') };
    },
    log: (c, n) => path.join(logsDir, c, `${n}.log`),
    terminationLog: (c, n) => path.join(containersDir, c, String(n), 'termination-log'),
  };
}
