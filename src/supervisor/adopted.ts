/**
 * Container instances of a pod that this process did not start: what a supervisor that adopts the
 * pod (adopt.ts) finds of each instance its state says was running.
 *
 * Each is held by a pidfd checked against its recorded start time (same-process.ts): a recycled
 * pid is refused, and its instance counts as ended. The adopted instances are not our children:
 * their parent is the pod's monitor (the subreaper, native/monitor_pod.c), so waitid(2) tells us
 * nothing of them. A pidfd polls readable once its
 * process has exited, whoever the parent; the status itself is the parent's, and the monitor
 * writes it to an exit record before it reaps (state/exits.ts): we wait for that record. An
 * instance that ended while no supervisor lived has its record already there. One that ended
 * without a record (a supervisor that reaped it and died before saving) is the kubelet's
 * ContainerStatusUnknown, exit code 137.
 */
import { hostLayout } from '../layout.js';
import type { Container } from '../manifest/types.js';
import type { ContainerProcess } from '../runtime/container.js';
import type { Host } from '../runtime/host.js';
import type { Sandbox } from '../runtime/sandbox.js';
import { readExitRecord, waitExitRecord, type ExitRecord } from '../state/exits.js';
import type { ContainerRecord, PodState, ProcessRef } from '../state/types.js';
import { AdoptedLog } from './adopted-log.js';
import { openProcess } from './same-process.js';
import { adoptedStreams, type InstanceStreams } from './container-streams.js';
import type { Exit } from './status.js';

/** An instance found by an adopting supervisor: running (`exit` absent), or ended with `exit`. */
export interface FoundInstance {
  ref: ProcessRef;
  /** pidfd is -1 when it has ended */
  proc: ContainerProcess;
  exit?: Exit;
  logMonitor?: ProcessRef;
}

/** How long the monitor may take to write the record of an exit we saw (pidfd readable). */
const RECORD_WAIT_MS = 10_000;
/** A process that is gone, or a zombie the monitor has not reaped yet: its record may be in writing. */
const GONE_RECORD_WAIT_MS = 1_000;

/** The Exit of a monitor's record, its time cut to milliseconds as the pod's other times are. */
export function exitOf(r: ExitRecord): Exit {
  return { code: r.code, signal: r.signal, finishedAt: r.finishedAt.replace(/\.(\d{3})\d*Z$/, '.$1Z') };
}

const LOST: Exit = { code: null, signal: null, lost: true };

/** How the process behind `pidfd` (`ref`) ends: once it has, its record. */
export async function exitWhenEnded(host: Host, exitsDir: string, ref: ProcessRef, pidfd: number): Promise<Exit> {
  await host.pollExit(pidfd);
  const r = await waitExitRecord(exitsDir, ref, RECORD_WAIT_MS);
  return r ? exitOf(r) : LOST;
}

/** Find the instance the record names: running (with its pidfd), or how it ended. */
export async function findInstance(
  host: Host,
  exitsDir: string,
  rec: ContainerRecord & { process: ProcessRef },
): Promise<{ pidfd?: number; exit?: Exit }> {
  const recorded = readExitRecord(exitsDir, rec.process);
  if (recorded) return { exit: exitOf(recorded) };
  const pidfd = openProcess(host, rec.process);
  if (pidfd !== undefined) return { pidfd };
  const late = await waitExitRecord(exitsDir, rec.process, GONE_RECORD_WAIT_MS);
  return { exit: late ? exitOf(late) : LOST };
}

/** Every instance the state says runs, as found now (the sandbox knows where their parts are). */
export async function findInstances(sb: Sandbox, state: PodState): Promise<FoundInstance[]> {
  const found: FoundInstance[] = [];
  for (const c of [...state.pod.spec.initContainers, ...state.pod.spec.containers]) {
    const rec = state.containers[c.name];
    if (!rec?.process) continue;
    const { pidfd, exit } = await findInstance(sb.opts.host, hostLayout(sb.opts.roots).exitsDir, {
      ...rec,
      process: rec.process,
    });
    found.push({
      ref: rec.process,
      proc: adoptedProcess(sb, state, c, { ...rec, process: rec.process }, pidfd ?? -1),
      exit,
      logMonitor: rec.logMonitor,
    });
  }
  return found;
}

/** The ContainerProcess of an adopted instance: its streams are its log monitor's, not ours. */
function adoptedProcess(
  sb: Sandbox,
  state: PodState,
  c: Container,
  rec: ContainerRecord & { process: ProcessRef },
  pidfd: number,
): ContainerProcess {
  const s = [...state.status.initContainerStatuses, ...state.status.containerStatuses].find((x) => x.name === c.name);
  const startedAt = s && 'running' in s.state ? s.state.running.startedAt : state.createdAt;
  return {
    name: c.name,
    instance: rec.instance,
    pid: rec.process.pid,
    pidfd,
    stdout: -1,
    tty: !!c.tty,
    cgroupDirs: rec.cgroupDirs ?? halfMade(sb, c.name, rec.instance),
    dirs: sb.layout.instance(c.name, rec.instance),
    terminationLog: sb.layout.terminationLog(c.name, rec.instance),
    startedAt,
    exec: rec.exec ?? { env: [], workingDir: '/', capabilities: [], noNewPrivs: true, cgroupProcs: [] },
  };
}

/** The cgroup directories of instance `instance` of a container, as the state recorded them. */
export function halfMade(sb: Sandbox, name: string, instance: number): string[] {
  const rel = `${sb.cgroup}/${name}-${instance}`;
  return sb.opts.state.cgroups.filter((d) => d.endsWith(`/${rel}`));
}

/** Exits first, oldest first; running instances after them. */
export function byEnd(a: FoundInstance, b: FoundInstance): number {
  const t = (f: FoundInstance) => (f.exit ? Date.parse(f.exit.finishedAt ?? '') || 0 : Infinity);
  return t(a) - t(b);
}

/** The supervisor's view of an adopted instance: its log (watched through a pidfd), attach sessions (output only), its exit. */
export function adoptedParts(
  sb: Sandbox,
  c: Container,
  f: FoundInstance,
  onLogDeath: (how: string) => void,
): {
  proc: ContainerProcess;
  log: AdoptedLog;
  streams: InstanceStreams;
  exited: Promise<Exit>;
} {
  const { host } = sb.opts;
  const exitsDir = hostLayout(sb.opts.roots).exitsDir;
  const exited = f.exit ? Promise.resolve(f.exit) : exitWhenEnded(host, exitsDir, f.ref, f.proc.pidfd);
  const log = new AdoptedLog(host, exitsDir, f.logMonitor, onLogDeath);
  return { proc: f.proc, log, streams: adoptedStreams(c, sb.layout.log(c.name, f.proc.instance)), exited };
}
