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
  /** exit records of processes that ended while the supervisor was gone (state/exits.ts) */
  exitsDir: string;
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
    exitsDir: path.join(runDir, 'exits'),
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
