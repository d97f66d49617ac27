/**
 * The supervisor: the process that runs a pod and watches over it, as the kubelet does for a node.
 *
 * It builds the sandbox, runs the init containers one at a time (each must exit 0 before the next),
 * starts the app containers in manifest order, and then reacts: a container exit (seen through its
 * pidfd) is recorded in the pod's status and, per `restartPolicy`, answered with a new instance after
 * the back-off; a stop request (SIGINT/SIGTERM, `tspod stop`, `activeDeadlineSeconds`) sends each
 * container its stop signal, waits out the grace period, then SIGKILLs. When nothing runs and nothing
 * will restart, the pod has finished: the sandbox is torn down in reverse order of its making.
 *
 * Sidecars (init containers with `restartPolicy: Always`, the kubelet's restartable init
 * containers) start in their place among the init containers, and the next one starts only once the
 * sidecar has started (its postStart hook returned and its startupProbe, if any, succeeded). They
 * are restarted whenever they exit, whatever the pod's restartPolicy, and do not keep the pod
 * alive: once the app containers are done for good, the sidecars are stopped. When the pod stops,
 * every container gets its Killing event and preStop hook at once, but a sidecar's stop signal
 * waits until every app container and every later sidecar has ended (reverse order), within the
 * one grace period.
 */
import type { ImageRecord } from '../image/store.js';
import type { Container } from '../manifest/types.js';
import {
  cleanupInstance,
  startContainer,
  CannotRunError,
  CreateContainerConfigError,
  type ContainerProcess,
} from '../runtime/container.js';
import type { Sandbox } from '../runtime/sandbox.js';
import { EventRecorder } from '../events/recorder.js';
import { podRef } from '../events/events.js';
import { runHandler } from '../hooks/handlers.js';
import type { InstanceProber } from '../probes/prober.js';
import { killInstance, MIN_GRACE_SECONDS } from './kill.js';
import { startProbing } from './probing.js';
import { processRef } from '../state/store.js';
import { backoffPolicy, nextDelay, shouldRestart } from './backoff.js';
import { ContainerLog, type LogSink } from './logs.js';
import { instanceStreams, type InstanceStreams } from './container-streams.js';
import type { AttachHandle, AttachRequest, AttachSink } from '../attach/hub.js';
import {
  containerID,
  exitCodeOf,
  findStatus,
  runExitStatus,
  terminatedState,
  updatePhase,
  type Exit,
} from './status.js';
import { readTerminationMessage } from './termination.js';
import { adoptedParts, byEnd, halfMade, type FoundInstance } from './adopted.js';

interface Running {
  proc: ContainerProcess;
  /** its log monitor (a ContainerLog, or an adopted one's AdoptedLog) */
  log: { drain(): Promise<void> };
  /** its stdin/terminal and the attach sessions */
  streams: InstanceStreams;
  exited: Promise<Exit>;
  /** settles once the exit has been recorded and the instance cleaned up */
  ended: Promise<void>;
  /** set when the process has exited and its pidfd is closed: never signal it after that */
  gone?: boolean;
  prober?: InstanceProber;
  /** the readiness probe's verdict (the container has one) */
  probeReady?: boolean;
  /** a kill is under way (stop, failed probe or hook): do not start another */
  killing?: boolean;
}

/** A sidecar is an init container with `restartPolicy: Always`: started with the init containers, it runs on beside the app containers. */
type Kind = 'init' | 'sidecar' | 'app';

/** tryStart's answer when the container's configuration could not be made (it waits, and is retried). */
const CONFIG_ERROR = Symbol('CreateContainerConfigError');

export interface SupervisorOptions {
  sandbox: Sandbox;
  images: Record<string, ImageRecord>;
  /** the terminal of a foreground run; undefined: the output goes to the log files only */
  sink?: LogSink;
  /** how a change of status is saved (by default the sandbox's save); it must not reject */
  saveStatus?: () => Promise<void>;
  /** called once the app containers have started (or could not) */
  onStarted?: () => void;
  /** called when the init containers begin (they may run for any time): the pod is taken in hand */
  onInitializing?: () => void;
}

export class Supervisor {
  private readonly running = new Map<string, Running>();
  /** containers waiting out their back-off, with how to cancel the wait */
  private readonly pending = new Map<string, () => void>();
  /**
   * Instances being made after their wait (back-off, config retry) ended: neither pending nor
   * running yet, but the pod is not finished while one is (another container's end must not end it).
   */
  private starting = 0;
  private stopGrace = 0;
  private readonly policy = backoffPolicy();
  private stopping?: Promise<void>;
  private stoppedBySignal?: number;
  private wake: () => void = () => undefined;
  private initDone = false;
  /** an init container failed for good: the pod is Failed, its app containers never start */
  private initFailed = false;
  /** names of the sidecars */
  private readonly sidecars: ReadonlySet<string>;
  /** resolved at each status change: what waits for a sidecar to start */
  private changeWaiters: (() => void)[] = [];

  readonly events: EventRecorder;

  constructor(private readonly o: SupervisorOptions) {
    this.events = new EventRecorder(o.sandbox.opts.state);
    this.sidecars = new Set(
      o.sandbox.pod.spec.initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
    );
  }

  private get sb(): Sandbox {
    return this.o.sandbox;
  }
  private get status() {
    return this.sb.opts.state.status;
  }

  /** Run the pod to its end; resolves with the exit status of CLI.md. The sandbox must be started. */
  async run(): Promise<number> {
    this.events.scheduled();
    return this.supervise(() => this.startAll());
  }

  /**
   * Supervise a pod this process did not start, from where its state says it was (adopt.ts): the
   * instances found (running, or ended while no supervisor lived, oldest exit first) are taken in
   * hand, back-offs under way go on, a stop under way goes on, and what never started starts.
   */
  async adopt(found: FoundInstance[]): Promise<number> {
    this.initDone = this.status.conditions.some((x) => x.type === 'Initialized' && x.status === 'True');
    return this.supervise(async () => {
      this.resumeWaits();
      // Oldest exit first: each is recorded, and answered by the restart policy, as if seen then.
      for (const f of [...found].sort(byEnd)) {
        const c = this.containerNamed(f.proc.name);
        // (The log's death is told later, asynchronously: r is set by then.)
        const r: Running = this.enter(
          c,
          adoptedParts(this.sb, c, f, (how) => this.monitorDied(c, r, how)),
        );
        if (f.exit) await r.ended;
        // (A stop that came while the exits before it were answered did not see this one.)
        else if (this.stopping) this.stopLate(c, r);
        else this.watch(c, r);
      }
      const d = this.sb.opts.state.deletion;
      if (d) void this.stop(Math.max(0, (Date.parse(d.timestamp) - Date.now()) / 1000));
      await this.startAll();
    });
  }

  /** The init containers (if not done), then the app containers that have not started yet. */
  private async startAll(): Promise<void> {
    if (!this.initDone) {
      if (this.sb.pod.spec.initContainers.length > 0) this.o.onInitializing?.();
      this.initDone = await this.runInitContainers();
      this.initFailed = !this.initDone && !this.stopping;
    }
    // A pod that failed to initialise is done: its sidecars must not keep it alive.
    if (this.initFailed && this.running.size > 0) void this.stop();
    if (!this.initDone || this.stopping) return;
    for (const c of this.sb.pod.spec.containers) {
      // (An adopted pod's: running, ended or waiting; a fresh pod has none yet.)
      if (this.sb.opts.state.containers[c.name]) continue;
      // One that cannot be configured waits, and is retried, without holding up the others.
      if ((await this.tryStart(c, 'app')) === CONFIG_ERROR) void this.retryLater(c, 'app');
    }
  }

  /**
   * Containers of an adopted pod that had no instance running (those that had are found: adopt): a back-off under way waits out what is
   * left of it; an exit whose restart was not decided yet is decided now; an instance that was
   * being made when the supervisor died is removed (its cgroup, with anything in it) and made again.
   */
  private resumeWaits(): void {
    for (const c of [...this.sb.pod.spec.initContainers, ...this.sb.pod.spec.containers]) {
      const rec = this.sb.opts.state.containers[c.name];
      const kind = this.kindOf(c);
      // (Before the init containers are done, runInitContainers takes the sidecars in turn.)
      if (!rec || rec.process || kind === 'init' || (kind === 'sidecar' && !this.initDone)) continue;
      const s = findStatus(this.status, c.name);
      if ('terminated' in s.state) {
        void this.afterExit(c, kind);
      } else if (
        rec.backoff?.restartAt ||
        !('waiting' in s.state) ||
        s.state.waiting.reason !== 'CreateContainerConfigError'
      ) {
        void this.resumeWait(c)
          .then(async (go) => {
            if (!go) return;
            if (!rec.backoff?.restartAt) await this.sb.opts.host.removeCgroups(halfMade(this.sb, c.name, rec.instance));
            await this.startAfterWait(c, kind);
          })
          .catch((err) => this.fail(err))
          .finally(() => this.wake());
      } else {
        void this.retryLater(c, kind);
      }
    }
  }

  /** What is left of a back-off recorded before an adoption; false when the pod stops meanwhile. */
  private resumeWait(c: Container): Promise<boolean> {
    const at = this.sb.opts.state.containers[c.name]?.backoff?.restartAt;
    const left = at ? Date.parse(at) - Date.now() : 0;
    return left > 0 ? this.pendingWait(c, left) : Promise.resolve(!this.stopping);
  }

  private kindOf(c: Container): Kind {
    if (this.sidecars.has(c.name)) return 'sidecar';
    return this.sb.pod.spec.initContainers.includes(c) ? 'init' : 'app';
  }

  /** Supervise until the pod has finished, from `begin` (which starts what is to start). */
  private async supervise(begin: () => Promise<void>): Promise<number> {
    const deadline = this.armDeadline();
    try {
      await begin();
      this.refresh();
      await this.save();
      this.o.onStarted?.();
      while (!this.finished()) await new Promise<void>((resolve) => (this.wake = resolve));
      await this.stopping;
    } catch (err) {
      // A container that could not be set up fails the pod: stop the ones already running.
      await this.stop(0);
      throw err;
    } finally {
      if (deadline) clearTimeout(deadline);
    }
    return runExitStatus(this.status, this.stoppedBySignal, this.sidecars);
  }

  /**
   * Stop the pod: stop signal to every container, SIGKILL after `graceSeconds` (by default the
   * manifest's terminationGracePeriodSeconds, at least 2 s as the kubelet applies). Idempotent.
   */
  stop(graceSeconds = Math.max(2, this.sb.pod.spec.terminationGracePeriodSeconds), bySignal?: number): Promise<void> {
    if (bySignal && this.stoppedBySignal === undefined) this.stoppedBySignal = bySignal;
    if (!this.stopping) {
      this.markDeletion(graceSeconds);
      this.stopGrace = graceSeconds;
    }
    this.stopping ??= this.stopAll(graceSeconds).finally(() => this.wake());
    this.wake();
    return this.stopping;
  }

  /** Record that the pod is going away and when its grace period ends (the Pod's deletionTimestamp). */
  private markDeletion(graceSeconds: number): void {
    const state = this.sb.opts.state;
    state.deletion ??= {
      timestamp: new Date(Date.now() + graceSeconds * 1000).toISOString(),
      gracePeriodSeconds: graceSeconds,
    };
    void this.save();
  }

  private finished(): boolean {
    return this.running.size === 0 && this.pending.size === 0 && this.starting === 0;
  }

  /**
   * Make a new instance of `c` once its wait is over, counted as starting meanwhile. A stop that
   * came while it was being made did not see it (stopAll stops what runs): it is stopped now.
   */
  private async startAfterWait(c: Container, kind: Kind): Promise<void> {
    this.starting++;
    try {
      if (!this.stopping) await this.startInstance(c, kind);
    } finally {
      this.starting--;
      const r = this.running.get(c.name);
      if (this.stopping && r && !r.gone) {
        const cancel = killInstance(this.killTarget(c, r), this.stopGrace, this.killOptions());
        void r.ended.then(cancel);
      }
    }
  }

  private armDeadline(): NodeJS.Timeout | undefined {
    const secs = this.sb.pod.spec.activeDeadlineSeconds;
    if (secs === undefined) return undefined;
    return setTimeout(() => {
      this.sb.opts.explain(`activeDeadlineSeconds (${secs}) reached: stopping the pod`);
      Object.assign(this.status, {
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      });
      void this.stop();
    }, secs * 1000);
  }

  /** Init containers, one at a time; false when one failed for good (or the pod is stopping). */
  private async runInitContainers(): Promise<boolean> {
    for (const c of this.sb.pod.spec.initContainers) {
      if (this.sidecars.has(c.name)) {
        // (An adopted pod's sidecar may run already, or wait out its back-off.)
        if (!this.running.has(c.name) && !this.pending.has(c.name) && (await this.resumeWait(c)))
          await this.startInstance(c, 'sidecar');
        // The next init container waits for this one to have started: it may need what it serves.
        await this.until(() => findStatus(this.status, c.name).started);
        continue;
      }
      for (;;) {
        if (this.stopping) return false;
        // An adopted pod's init container may run already, or have ended (then its back-off comes first).
        if (!('terminated' in findStatus(this.status, c.name).state) || this.running.has(c.name)) {
          if (!(await this.resumeWait(c))) return false;
          const r = this.running.get(c.name) ?? (await this.startInstance(c, 'init'));
          await r?.ended;
        }
        if (this.lastExitCode(c) === 0) break;
        if (this.sb.pod.spec.restartPolicy === 'Never' || this.stopping) return false;
        if (!(await this.backoff(c))) return false;
      }
    }
    return true;
  }

  /**
   * Attach a session to the running instance of container `name` (attach/hub.ts); throws, with
   * the words of `kubectl attach`, when there is none to attach to.
   */
  attach(name: string, sink: AttachSink, req: AttachRequest): AttachHandle {
    if (!this.containerNamed(name)) throw new Error(`container ${name} not found in pod ${this.sb.pod.metadata.name}`);
    const r = this.running.get(name);
    if (!r || r.gone) {
      const phase = this.status.phase;
      if (phase === 'Succeeded' || phase === 'Failed')
        throw new Error(`cannot attach a container in a completed pod; current phase is ${phase}`);
      throw new Error(
        `container ${name} is not running (it is ${Object.keys(findStatus(this.status, name).state)[0]})`,
      );
    }
    return r.streams.hub.attach(sink, req);
  }

  /** Resolves once an instance of container `name` runs (true), or the pod is stopping (false). */
  async whenRunning(name: string): Promise<boolean> {
    await this.until(() => this.running.has(name));
    return this.running.has(name) && !this.stopping;
  }

  /** Resolves once `done()` holds, or the pod is stopping. */
  private async until(done: () => boolean): Promise<void> {
    while (!done() && !this.stopping) await new Promise<void>((resolve) => this.changeWaiters.push(resolve));
  }

  private lastExitCode(c: Container): number | undefined {
    return exitCodeOf(findStatus(this.status, c.name));
  }

  /** Wait out the back-off before the next start of `c`; false when the pod stops meanwhile. */
  private backoff(c: Container): Promise<boolean> {
    const s = findStatus(this.status, c.name);
    const ended = 'terminated' in s.state ? s.state.terminated : undefined;
    const ran = ended?.startedAt ? Date.parse(ended.finishedAt) - Date.parse(ended.startedAt) : 0;
    const rec = this.sb.opts.state.containers[c.name];
    const { delayMs, backoffs } = nextDelay(this.policy, rec?.backoff?.count ?? 0, ran);
    // Counted from the exit (an exit recorded while no supervisor lived may be some time ago).
    const from = Math.min(Date.now(), ended ? Date.parse(ended.finishedAt) || Date.now() : Date.now());
    if (rec) rec.backoff = { count: backoffs, restartAt: new Date(from + delayMs).toISOString() };
    s.lastState = s.state;
    s.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${delayMs / 1000}s restarting failed container=${c.name}`,
      },
    };
    this.events.backOff(this.subject(c));
    this.sb.opts.explain(`${c.name}: restarting in ${delayMs} ms (back-off)`);
    const wait = this.pendingWait(c, Math.max(0, from + delayMs - Date.now()));
    void this.save();
    return wait;
  }

  /** Wait `ms` before the next start of `c`, counted as pending meanwhile; false when the pod stops first. */
  private pendingWait(c: Container, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.stopping) return resolve(false);
      const t = setTimeout(() => {
        this.pending.delete(c.name);
        resolve(true);
      }, ms);
      this.pending.set(c.name, () => {
        clearTimeout(t);
        this.pending.delete(c.name);
        resolve(false);
      });
    });
  }

  /**
   * Start an instance of `c`, retrying while its configuration cannot be made; undefined when its
   * command could not run (recorded as terminated) or the pod stopped meanwhile.
   */
  private async startInstance(c: Container, kind: Kind): Promise<Running | undefined> {
    for (;;) {
      const r = await this.tryStart(c, kind);
      if (r !== CONFIG_ERROR) return r;
      if (!(await this.configRetryDelay(c))) return undefined;
    }
  }

  /** After a CreateContainerConfigError: retry in the background until it starts or the pod stops. */
  private retryLater(c: Container, kind: Kind): Promise<void> {
    return this.configRetryDelay(c)
      .then(async (go) => {
        if (go) await this.startAfterWait(c, kind);
      })
      .catch((err) => this.fail(err))
      .finally(() => this.wake());
  }

  /** One attempt at starting an instance of `c`. */
  private async tryStart(c: Container, kind: Kind): Promise<Running | undefined | typeof CONFIG_ERROR> {
    const image = this.o.images[c.name];
    if (!image) throw new Error(`internal: container "${c.name}" has no image pulled for it`);
    const s = findStatus(this.status, c.name);
    const record = this.sb.opts.state.containers[c.name];
    const instance = record ? record.instance + 1 : 0;
    // (The back-off count goes on; the start it waited for is now.)
    this.sb.opts.state.containers[c.name] = {
      instance,
      ...(record?.backoff ? { backoff: { count: record.backoff.count } } : {}),
    };
    if (instance > 0) s.restartCount += 1;
    let proc: ContainerProcess;
    this.events.pulled(this.subject(c), c.image, image.pull, instance === 0);
    try {
      proc = await startContainer(this.sb, c, image, instance);
    } catch (err) {
      if (err instanceof CreateContainerConfigError) {
        // No container was made: neither an instance nor a restart to count.
        if (record) this.sb.opts.state.containers[c.name] = record;
        else delete this.sb.opts.state.containers[c.name];
        if (instance > 0) s.restartCount -= 1;
        await this.configError(c, err.message);
        return CONFIG_ERROR;
      }
      if (!(err instanceof CannotRunError)) throw err;
      const why = (err.cause as Error).message;
      this.events.failedToStart(this.subject(c), why);
      this.o.sink?.(c.name, 'stderr', Buffer.from(`tspod: ${err.message}: ${why}`), false);
      if (!('waiting' in s.state)) s.lastState = s.state;
      s.state = terminatedState({ code: err.exitCode, signal: null }, { cannotRun: why });
      await this.afterExit(c, kind);
      return undefined;
    }
    const r = this.track(c, proc);
    // A stop that came while this instance was being made did not see it (stopAll kills the
    // instances running then): it gets the same stop now, or it would run to its own end.
    if (this.stopping) this.stopLate(c, r);
    else if (await this.postStart(c, r)) this.watch(c, r);
    return r;
  }

  /** Stop an instance that started after the pod's stop began, within what is left of the grace period. */
  private stopLate(c: Container, r: Running): void {
    const deletion = this.sb.opts.state.deletion;
    const left = deletion ? Math.max(0, (Date.parse(deletion.timestamp) - Date.now()) / 1000) : 0;
    this.events.killing(this.subject(c));
    const cancel = killInstance(this.killTarget(c, r), left, this.killOptions());
    void r.ended.then(cancel);
  }

  /**
   * The kubelet's CreateContainerConfigError: the container waits with that reason and the
   * message, a `Failed` event says `Error: <message>`, and the pod goes on (it does not fail).
   */
  private async configError(c: Container, message: string): Promise<void> {
    const s = findStatus(this.status, c.name);
    s.state = { waiting: { reason: 'CreateContainerConfigError', message } };
    this.events.failedToStart(this.subject(c), message);
    this.sb.opts.explain(`${c.name}: CreateContainerConfigError: ${message}`);
    this.refresh();
    await this.save();
  }

  /**
   * The wait before the next attempt at a container that could not be configured: the kubelet's
   * pod worker retries a failed sync after its back-off period (10 s; TSPOD_BACKOFF_BASE_MS, as
   * the restart back-off), without growing it. False when the pod stops meanwhile.
   */
  private configRetryDelay(c: Container): Promise<boolean> {
    return this.pendingWait(c, this.policy.baseMs);
  }

  /**
   * The postStart hook, right after the container started: it is not Running until the hook
   * returns; a failed hook is a FailedPostStartHook event, and the container is killed.
   */
  private async postStart(c: Container, r: Running): Promise<boolean> {
    const hook = c.lifecycle?.postStart;
    if (!hook) return true;
    const s = findStatus(this.status, c.name);
    const running = s.state;
    s.state = { waiting: { reason: 'ContainerCreating' } };
    const failure = await runHandler(hook, {
      host: this.sb.opts.host,
      container: c,
      status: this.status,
      podRef: podRef(this.sb.opts.state),
      budgetMs: Infinity,
      exec: { container: c.name, pidfd: r.proc.pidfd, context: r.proc.exec },
    });
    if (r.gone) return false;
    s.state = running;
    this.refresh();
    void this.save();
    if (!failure) return true;
    this.events.warning(this.subject(c), 'FailedPostStartHook', failure);
    this.kill(c, r, this.sb.pod.spec.terminationGracePeriodSeconds, 'FailedPostStartHook');
    return false;
  }

  /** Probe the instance, if the container has probes. */
  private watch(c: Container, r: Running): void {
    r.prober = startProbing(c, r.proc, {
      host: this.sb.opts.host,
      status: this.status,
      events: this.events,
      subject: this.subject(c),
      podGraceSeconds: this.sb.pod.spec.terminationGracePeriodSeconds,
      setReady: (ready) => (r.probeReady = ready),
      changed: () => {
        this.refresh();
        void this.save();
      },
      kill: (message, grace) => this.kill(c, r, grace, message),
    });
  }

  /** Stop one instance (a failed probe or hook): the restart policy then decides, as after any exit. */
  private kill(c: Container, r: Running, graceSeconds: number, message: string): void {
    if (r.gone || r.killing || this.stopping) return;
    r.killing = true;
    this.events.killing(this.subject(c), message);
    const cancel = killInstance(this.killTarget(c, r), Math.max(MIN_GRACE_SECONDS, graceSeconds), this.killOptions());
    void r.ended.then(cancel);
  }

  private killTarget(c: Container, r: Running) {
    return {
      container: c,
      proc: r.proc,
      imageStopSignal: this.o.images[c.name]?.config.StopSignal,
      gone: () => !!r.gone,
    };
  }

  private killOptions() {
    return {
      host: this.sb.opts.host,
      status: this.status,
      podRef: podRef(this.sb.opts.state),
      explain: this.sb.opts.explain,
      failedPreStop: (c: Container, m: string) => this.events.warning(this.subject(c), 'FailedPreStopHook', m),
    };
  }

  private track(c: Container, proc: ContainerProcess): Running {
    const s = findStatus(this.status, c.name);
    this.events.created(this.subject(c));
    this.events.started(this.subject(c));
    if (!('waiting' in s.state)) s.lastState = s.state;
    s.state = { running: { startedAt: proc.startedAt } };
    // A startup probe decides when the container has started; without one, it has now.
    s.started = !c.startupProbe;
    s.containerID = containerID(this.sb.opts.state.uid, c.name, proc.instance);
    let r: Running | undefined;
    const logFile = this.sb.layout.log(c.name, proc.instance);
    const streams = instanceStreams(c, proc, this.sb.opts.host, logFile);
    const log = new ContainerLog(c.name, logFile, streams.output, this.o.sink, {
      onTrouble: (m) => this.logTrouble(c, m),
      onDeath: (how) => r && this.monitorDied(c, r, how),
    });
    const backoff = this.sb.opts.state.containers[c.name]?.backoff;
    // What a supervisor that adopts the pod needs to find the instance and its log monitor again.
    this.sb.opts.state.containers[c.name] = {
      instance: proc.instance,
      process: processRef(proc.pid),
      exec: proc.exec,
      cgroupDirs: proc.cgroupDirs,
      ...(log.pid !== undefined ? { logMonitor: processRef(log.pid) } : {}),
      ...(backoff ? { backoff } : {}),
    };
    r = this.enter(c, { proc, log, streams, exited: this.sb.opts.host.waitExit(proc.pidfd) });
    return r;
  }

  /** Take a running instance in hand: its exit is recorded and answered (onExit) when it comes. */
  private enter(c: Container, parts: Pick<Running, 'proc' | 'log' | 'streams' | 'exited'>): Running {
    const r = { ...parts } as Running;
    r.ended = r.exited.then((exit) => this.onExit(c, this.kindOf(c), r, exit));
    this.running.set(c.name, r);
    this.refresh();
    void this.save();
    return r;
  }

  /** Record how an instance ended (exit, OOM, termination message) and clean up after it. */
  private async onExit(c: Container, kind: Kind, r: Running, exit: Exit): Promise<void> {
    r.gone = true;
    r.prober?.stop();
    // (An instance adopted after it ended has no pidfd: adopted.ts.)
    if (r.proc.pidfd >= 0) this.sb.opts.host.closeFd(r.proc.pidfd);
    await r.log.drain();
    // Every session has seen the last output: they end, and the stdin pipe closes.
    r.streams.close();
    const s = findStatus(this.status, c.name);
    const oom = this.sb.opts.host.oomKilled(r.proc.cgroupDirs);
    const message = await readTerminationMessage(c, r.proc, exit, this.sb.layout.log(c.name, r.proc.instance));
    s.state = terminatedState(exit, { startedAt: r.proc.startedAt, oom, message, containerID: s.containerID });
    s.started = false;
    const rec = this.sb.opts.state.containers[c.name];
    if (rec) for (const k of ['process', 'exec', 'cgroupDirs', 'logMonitor'] as const) delete rec[k];
    await cleanupInstance(this.sb, r.proc).catch((err) =>
      this.sb.opts.warn(`cleaning up container "${c.name}": ${err}`),
    );
    this.running.delete(c.name);
    this.sb.opts.explain(
      `${c.name}: exited with ${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`}`,
    );
    await this.afterExit(c, kind);
  }

  /** After an app container ended: restart it per policy (after the back-off), or let the pod end. */
  private async afterExit(c: Container, kind: Kind): Promise<void> {
    // A sidecar always restarts (while the pod runs); an app container as restartPolicy says.
    const again =
      kind === 'sidecar' ||
      (kind === 'app' && shouldRestart(this.sb.pod.spec.restartPolicy, this.lastExitCode(c) ?? 1));
    // (A sidecar that exits once the app containers are done is not brought back: it was being stopped.)
    if (again && !this.stopping && !(kind === 'sidecar' && this.appsDone())) {
      void this.backoff(c).then(async (go) => {
        if (go) await this.startAfterWait(c, kind).catch((err) => this.fail(err));
        this.wake();
      });
    }
    this.refresh();
    await this.save();
    // Every app container ended and none will restart: the pod is done, its sidecars are stopped.
    if (!this.stopping && this.appsDone() && this.running.size > 0) {
      this.sb.opts.explain('the app containers are done: stopping the sidecars');
      void this.stop();
    }
    this.wake();
  }

  /** The init phase is over and every app container ended for good (none waits to restart). */
  private appsDone(): boolean {
    if (this.initFailed) return true;
    if (!this.initDone) return false;
    return this.sb.pod.spec.containers.every(
      (c) =>
        !this.running.has(c.name) && !this.pending.has(c.name) && 'terminated' in findStatus(this.status, c.name).state,
    );
  }

  private subject(c: Container): { name: string; init: boolean } {
    return { name: c.name, init: this.sb.pod.spec.initContainers.includes(c) };
  }

  /** A log write failed (a full disk) or recovered: say so, as a warning and an event; run on. */
  private logTrouble(c: Container, message: string): void {
    this.sb.opts.warn(`container "${c.name}": ${message}`);
    this.events.warning(this.subject(c), 'FailedLogWrite', message);
  }

  /**
   * The container's log monitor died while it ran (killed): nothing reads its pipes any more, so its
   * next write would block or fail. It is killed, with a warning event, and the restart policy
   * decides, as after any exit: a new instance gets a new monitor.
   */
  private monitorDied(c: Container, r: Running, how: string): void {
    const message = `the log monitor of container ${c.name} ${how}: the container's output can no longer be logged`;
    this.sb.opts.warn(`container "${c.name}": ${message}`);
    this.events.warning(this.subject(c), 'LogMonitorFailed', message);
    this.kill(c, r, 0, message);
  }

  private refresh(): void {
    updatePhase(this.status, new Set(this.pending.keys()), this.initDone, (name) => this.isReady(name), this.sidecars);
    if (this.initFailed) this.status.phase = 'Failed';
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of waiters) w();
  }

  /** Started, and its readiness probe (if any) succeeded: readiness starts as Failure. */
  private isReady(name: string): boolean {
    const r = this.running.get(name);
    const c = [...this.sb.pod.spec.containers, ...this.sb.pod.spec.initContainers].find((x) => x.name === name);
    if (!r || !c || !findStatus(this.status, name).started) return false;
    return c.readinessProbe ? r.probeReady === true : true;
  }

  private fail(err: unknown): void {
    this.sb.opts.warn(err instanceof Error ? err.message : String(err));
    Object.assign(this.status, { phase: 'Failed', reason: 'StartError' });
    void this.stop(0);
  }

  private async stopAll(graceSeconds: number): Promise<void> {
    for (const cancel of [...this.pending.values()]) cancel();
    const all = [...this.running.entries()];
    const turns = this.stopTurns();
    for (const [name, r] of all) {
      const c = this.containerNamed(name);
      if (r.gone) continue;
      r.prober?.stop();
      // A kill already under way (a failed probe) still ends within the pod's grace period.
      this.events.killing(this.subject(c));
      const cancel = killInstance(this.killTarget(c, r), graceSeconds, this.killOptions(), turns.get(name));
      void r.ended.then(cancel);
    }
    await Promise.all(all.map(([, r]) => r.ended));
  }

  /**
   * When each sidecar may get its stop signal: once every running app container has ended, and the
   * next running sidecar in the manifest (which waits in turn), so they stop in reverse order.
   */
  private stopTurns(): Map<string, Promise<unknown>> {
    const ended = (name: string) => this.running.get(name)?.ended ?? Promise.resolve();
    const apps = Promise.all(this.sb.pod.spec.containers.map((c) => ended(c.name)));
    const turns = new Map<string, Promise<unknown>>();
    let later: Promise<unknown> = Promise.resolve();
    for (const c of [...this.sb.pod.spec.initContainers].reverse()) {
      if (!this.sidecars.has(c.name)) continue;
      turns.set(c.name, Promise.all([apps, later]));
      later = ended(c.name);
    }
    return turns;
  }

  private containerNamed(name: string): Container {
    return [...this.sb.pod.spec.initContainers, ...this.sb.pod.spec.containers].find((x) => x.name === name)!;
  }

  private async save(): Promise<void> {
    await (this.o.saveStatus ?? this.sb.opts.save)();
  }
}
