/**
 * `tspod __supervise`: the one supervisor process of a run root's detached pods, started on demand
 * by the first `tspod run -d` (host-client.ts) as the child of `tspod-monitor host`, the subreaper
 * that records every pod process's exit if this process dies (native/monitor_pod.c).
 *
 * In order:
 *  1. the supervisor directory (0700, root's) and the supervisor lock: one supervisor serves a run
 *     root at a time, and the kernel drops the lock however this process ends;
 *  2. the socket (host-server.ts), and one line on fd 3 for the command that started us (then it
 *     hands its pod over);
 *  3. the orphaned pods of the run root (a supervisor before us died) adopted (adopt.ts);
 *  4. pods, each in its own context (host.ts), until none is left: then the supervisor leaves
 *     (`leave`), and a later `run -d` starts a new one.
 *
 * Leaving races with a `run -d` that is handing a pod over. Both sides take the start lock: a
 * client when it cannot connect (and then starts a supervisor itself, host-client.ts), the
 * supervisor before it stops listening. So while the supervisor closes its socket and waits for
 * the connections it accepted, a client that finds the socket closed waits on the lock; and a
 * pod handed over meanwhile (through an accepted connection) makes the supervisor stay: it
 * listens again before it lets the lock go.
 */
import fs from 'node:fs';
import { describeError } from '../errors.js';
import { hostLayout, type HostLayout } from '../layout.js';
import type { Roots } from '../paths.js';
import { guardPods } from './last-resort.js';
import { adoptHosted, logger, supervisePod } from './supervise.js';
import { listPodNames } from '../state/store.js';
import { readPod } from '../pods/pods.js';
import { PodHost } from './host.js';
import { HostServer } from './host-server.js';
import { prepareHostDirs } from './host-dirs.js';
import { lockFile } from '../state/store.js';
import { envPerContext } from './pod-env.js';
import { STARTED_FD } from './host-client.js';

/** How long an idle supervisor stays, for the next `run -d` of a loop. */
const LINGER_MS = 1000;
/** How often a leaving supervisor tries the start lock again (a client holds it a moment). */
const RETRY_MS = 100;
/** How often the supervisor looks whether its monitor is still its parent. */
const MONITOR_CHECK_MS = 1000;

function tellStarter(msg: object): void {
  try {
    fs.writeSync(STARTED_FD, JSON.stringify(msg) + '\n');
    fs.closeSync(STARTED_FD);
  } catch {
    // the command that started us is gone: the next one connects
  }
}

/** Leaving when idle, under the start lock (see the header). Resolves when the supervisor has left. */
export class Leaver {
  private timer: NodeJS.Timeout | undefined;
  private trying = false;
  private retired = false;
  private left!: () => void;
  readonly gone = new Promise<void>((resolve) => (this.left = resolve));

  constructor(
    private readonly layout: HostLayout,
    private readonly host: PodHost,
    private readonly server: HostServer,
    private readonly supervisorLock: { release(): void },
    private readonly log: (l: string) => void,
  ) {}

  /** Try to leave after `ms` (once: repeated calls while one is pending change nothing). */
  schedule(ms = LINGER_MS): void {
    if (this.timer || this.trying) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, ms);
  }

  /**
   * Serve no new pods (the monitor is gone, so they would not be protected): the socket and the
   * supervisor lock go, so that the next `run -d` starts a supervisor under a monitor of its own;
   * the pods here stay supervised until they end, and then this process leaves.
   */
  async retire(): Promise<void> {
    this.retired = true;
    let start;
    try {
      while (!(start = lockFile(this.layout.startLock, false))) await new Promise((r) => setTimeout(r, RETRY_MS));
    } catch (err) {
      this.log(`retiring without the start lock: ${describeError(err)}`);
    }
    try {
      await this.server.remove();
      this.supervisorLock.release();
    } finally {
      start?.release();
    }
    if (this.host.isIdle) this.left();
  }

  private async attempt(): Promise<void> {
    if (this.retired) {
      if (this.host.isIdle) this.left();
      return;
    }
    // (A pod came: its end schedules the next attempt. A hand-over still under way is waited for
    // below, with the socket closed.)
    if (this.host.size > 0) return;
    let start;
    try {
      start = lockFile(this.layout.startLock, false);
    } catch (err) {
      // The supervisor directory is gone (the run root removed): nobody can reach us any more.
      this.log(`leaving: ${describeError(err)}`);
      this.left();
      return;
    }
    if (!start) return this.schedule(RETRY_MS);
    this.trying = true;
    try {
      await this.server.close();
      if (!this.host.isIdle) {
        this.log(`a pod was handed over while leaving: staying (${this.host.size} pods)`);
        await this.server.listen();
        return;
      }
      await this.server.remove();
      this.supervisorLock.release();
      this.log('no pod left: leaving');
      this.left();
    } catch (err) {
      this.log(`leaving: ${describeError(err)}`);
      this.left();
    } finally {
      start.release();
      this.trying = false;
    }
  }
}

export async function superviseHost(roots: Roots): Promise<number> {
  const layout = hostLayout(roots);
  let supervisorLock: { release(): void } | undefined;
  try {
    prepareHostDirs(layout);
    supervisorLock = lockFile(layout.supervisorLock, false);
    if (!supervisorLock)
      throw new Error(`another supervisor serves the run root ${roots.runRoot} (it holds ${layout.supervisorLock})`);
  } catch (err) {
    tellStarter({ ok: false, error: describeError(err) });
    return 125;
  }
  const log = logger(layout.supervisorLog);
  let idleTarget: Leaver | undefined;
  const host = new PodHost({
    supervise: supervisePod,
    adopt: (r, name) => adoptHosted(r, name),
    log,
    idle: () => idleTarget?.schedule(),
  });
  process.env = envPerContext(process.env, host.storage);
  guardPods(host.storage, {
    warn: log,
    stray: (err) =>
      log(
        `an error outside any pod (the pods go on): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      ),
  });
  const server = new HostServer({ socketPath: layout.supervisorSocket, runRoot: roots.runRoot, host, log });
  try {
    await server.listen();
  } catch (err) {
    tellStarter({ ok: false, error: `listening on ${layout.supervisorSocket}: ${describeError(err)}` });
    return 125;
  }
  const monitor = process.ppid;
  const leaver = new Leaver(layout, host, server, supervisorLock, log);
  idleTarget = leaver;
  const onSignal = (sig: string) => {
    log(`${sig}: stopping every pod (${host.size})`);
    host.stopAll();
  };
  process
    .on('SIGTERM', () => onSignal('SIGTERM'))
    .on('SIGINT', () => onSignal('SIGINT'))
    .on('SIGHUP', () => undefined);
  watchMonitor(() => {
    const message = `the monitor of the supervisor (pid ${monitor}) is gone: if the supervisor dies now, the pod's exits are not recorded; new pods go to a new supervisor`;
    log(message);
    host.warnAll('MonitorLost', message);
    void leaver.retire().catch((err) => log(`retiring: ${describeError(err)}`));
  });
  log(`supervisor of ${roots.runRoot} started (pid ${process.pid}, monitor ${monitor})`);
  tellStarter({ ok: true, pid: process.pid });
  await adoptOrphans(roots, host, log);
  if (host.isIdle) leaver.schedule();
  await leaver.gone;
  return 0;
}

/**
 * Every pod of the run root whose supervisor died (its lock free, not torn down: `Orphaned` in
 * `ps`) is taken up here (adopt.ts): the processes the monitor kept recording go on, with their
 * exits meanwhile answered by the restart policy.
 */
async function adoptOrphans(roots: Roots, host: PodHost, log: (l: string) => void): Promise<void> {
  for (const name of await listPodNames(roots).catch(() => [])) {
    const pod = await readPod(roots, name).catch(() => undefined);
    if (pod?.condition !== 'orphaned') continue;
    log(`pod "${name}" is orphaned: adopting it`);
    host.adopt(roots, name);
  }
}

/** `lost` once our parent (the monitor) is no longer our parent: it died, and we were reparented. */
function watchMonitor(lost: () => void): void {
  const monitor = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === monitor) return;
    clearInterval(timer);
    lost();
  }, MONITOR_CHECK_MS);
  timer.unref();
}
