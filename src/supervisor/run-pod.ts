/**
 * Running a pod from start to finish, in this process: claim the name, admit the pod on the node,
 * record the state, build the sandbox, supervise the containers, tear everything down. `tspod run` calls it in the foreground;
 * a detached `tspod run -d` calls it in a supervisor process of its own.
 *
 * The pod's name is claimed by creating its run directory (mkdir fails if it exists, so two runs
 * of one name cannot both win) and locking it for the life of the supervisor.
 */
import type { ConfigObjects } from '../manifest/config-objects.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ControlServer } from '../control/server.js';
import { serveAttach } from '../attach/serve.js';
import type { AttachHandle, AttachRequest, AttachSink } from '../attach/hub.js';
import type { ImageRecord } from '../image/store.js';
import { hostIPs } from '../network/index.js';
import type { Roots } from '../paths.js';
import { realHost, type Host } from '../runtime/host.js';
import { podLayout } from '../layout.js';
import { Sandbox } from '../runtime/sandbox.js';
import type { HostFacts } from '../runtime/facts.js';
import type { Pod } from '../manifest/types.js';
import { lockPod, processRef, writeState, type PodLock, type StateFs } from '../state/store.js';
import { StateSaver } from '../state/saver.js';
import { EventRecorder } from '../events/recorder.js';
import { describeError } from '../errors.js';
import { removePod } from '../teardown/cleanup.js';
import type { PodState } from '../state/types.js';
import type { LogSink } from './logs.js';
import { initialStatus } from './status.js';
import { Supervisor } from './supervisor.js';
import { admitOnNode, explainAdmission, withNodeLock } from '../admission/on-node.js';
import { loadNode } from '../node/node.js';

export class PodExistsError extends Error {}

export interface RunPodOptions {
  roots: Roots;
  pod: Pod;
  images: Record<string, ImageRecord>;
  /** the ConfigMaps and Secrets the pod refers to */
  config?: ConfigObjects;
  network: string;
  /** keep the pod listed (state and logs) after it ends, until `tspod rm` */
  keep: boolean;
  /** the terminal of a foreground run; undefined: the output goes to the log files only */
  sink?: LogSink;
  explain: (line: string) => void;
  warn: (line: string) => void;
  host?: Host;
  /** the host's facts to plan with (default: gathered when the sandbox starts; a test gives fixed ones) */
  facts?: HostFacts;
  /** the state file's writes (a test injects faults here) */
  stateFs?: StateFs;
  /** called once the app containers have started (or the pod failed to start) */
  onStarted?: (state: PodState) => void;
  /** the pod has init containers and they begin: it is taken in hand (run -d returns then) */
  onInitializing?: (state: PodState) => void;
}

export interface RunningPod {
  /** resolves with the exit status of CLI.md once the pod has finished and is torn down */
  done: Promise<number>;
  /** stop gracefully (graceSeconds defaults to the manifest's); `bySignal` decides the exit status */
  stop(graceSeconds?: number, bySignal?: number): void;
  /**
   * The last resort, when the supervisor itself failed (an uncaught exception): stop the pod at
   * once and tear it down; if the supervisor cannot finish that within `waitMs`, remove the pod
   * from its ledger (the state in memory) as `tspod gc` would. Resolves once nothing is left.
   */
  abort(err: unknown, waitMs?: number): Promise<void>;
  /** attach a session to the running instance of a container (attach/hub.ts), in this process */
  attach(name: string, sink: AttachSink, req: AttachRequest): AttachHandle;
  /** resolves once container `name` is running, false when the pod is stopping first */
  whenRunning(name: string): Promise<boolean>;
  /** record a Warning event about the pod (saved with its state) */
  warning(reason: string, message: string): void;
}

/** How long an aborted supervisor gets to tear its pod down before the ledger is used instead. */
const ABORT_WAIT_MS = 15_000;

async function claim(roots: Roots, name: string): Promise<PodLock> {
  const layout = podLayout(roots, name);
  await fsp.mkdir(path.dirname(layout.runDir), { recursive: true, mode: 0o700 });
  try {
    await fsp.mkdir(layout.runDir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new PodExistsError(`pod "${name}" already exists (see "tspod ps -a"; remove it with "tspod rm ${name}")`);
  }
  // A data directory without a run directory is what a crashed, half-collected pod left: stale.
  await fsp.rm(layout.dataDir, { recursive: true, force: true });
  return lockPod(roots, name)!;
}

/** The state of a pod about to start (also what --dry-run plans with). */
export function newState(o: Pick<RunPodOptions, 'pod' | 'images' | 'keep'>): PodState {
  const uid = o.pod.metadata.uid ?? randomUUID();
  const imageIds = Object.fromEntries(Object.entries(o.images).map(([c, img]) => [c, img.id]));
  const pod: Pod = { ...o.pod, metadata: { ...o.pod.metadata, uid } };
  return {
    version: 1,
    name: pod.metadata.name,
    uid,
    createdAt: new Date().toISOString(),
    pod,
    // The node's address, as status.hostIP reports it (and a hostNetwork pod's IP is).
    status: initialStatus(pod, imageIds, hostIPs()[0] ?? '127.0.0.1'),
    supervisor: processRef(process.pid),
    keep: o.keep,
    containers: {},
    mounts: [],
    cgroups: [],
    images: [...new Set(Object.values(imageIds))],
  };
}

/**
 * Claim the name, admit the pod on the node and record its state, all under the node lock, so that
 * the next run counts this pod (admission/on-node.ts). A refused pod leaves nothing behind.
 */
async function claimAndAdmit(o: RunPodOptions): Promise<{ lock: PodLock; state: PodState }> {
  return withNodeLock(o.roots, async () => {
    const lock = await claim(o.roots, o.pod.metadata.name);
    try {
      const node = loadNode(o.roots);
      const verdict = await admitOnNode(o.roots, o.pod, node);
      for (const line of explainAdmission(verdict, node)) o.explain(line);
      for (const w of verdict.warnings) o.warn(w);
      // (What a supervisor that adopts the pod needs: supervisor/adopt.ts.)
      const state: PodState = {
        ...newState({ ...o, pod: verdict.pod }),
        adoption: { network: o.network, images: o.images },
      };
      await writeState(o.roots, state);
      return { lock, state };
    } catch (err) {
      await removePodFiles(o.roots, o.pod.metadata.name);
      lock.release();
      throw err;
    }
  });
}

export async function runPod(o: RunPodOptions): Promise<RunningPod> {
  const { lock, state } = await claimAndAdmit(o);
  // Listen from the start: a `tspod stop` that comes while the sandbox is built waits for it.
  const control = await ControlServer.listen(podLayout(o.roots, o.pod.metadata.name).controlSocket, o.warn).catch(
    async (err) => {
      await removePodFiles(o.roots, o.pod.metadata.name);
      lock.release();
      throw err;
    },
  );
  const saver = stateSaver(o, state);
  // The sandbox records what it makes before making it: those saves must reach the disk.
  const save = () => saver.strict();
  const sandbox = new Sandbox({
    host: o.host ?? realHost,
    roots: o.roots,
    state,
    save,
    network: o.network,
    explain: o.explain,
    warn: o.warn,
    config: o.config,
    images: o.images,
    facts: o.facts,
  });
  const finish = podFinisher({ ...o, state, saver, lock });
  try {
    await save();
    // The state names the images now, so `tspod image rm` refuses them from here on; one removed
    // between the CLI's lookup and this point is caught here, before anything is built on it.
    for (const img of Object.values(o.images)) {
      if (!img.lowerDirs.every((d) => fs.existsSync(d)))
        throw new Error(`image "${img.ref}" was removed while the pod was starting`);
    }
    await sandbox.start();
  } catch (err) {
    await finish();
    await control.close();
    throw err;
  }
  // What happened (a start, an exit, an event) is saved leniently: a failed save never stops the pod.
  const supervisor = new Supervisor({
    sandbox,
    images: o.images,
    sink: o.sink,
    saveStatus: () => saver.lenient(),
    onStarted: () => o.onStarted?.(state),
    onInitializing: () => o.onInitializing?.(state),
  });
  return superviseSandbox({ ...o, state, sandbox, saver, control, lock, finish, supervisor }, () => supervisor.run());
}

/** What superviseSandbox is given: a pod whose sandbox exists, its state, saver, socket and end. */
export interface Supervised {
  roots: Roots;
  warn: (line: string) => void;
  state: PodState;
  sandbox: Sandbox;
  saver: StateSaver;
  control: ControlServer;
  lock: PodLock;
  /** the pod's end once torn down: its record saved (or removed), the lock released */
  finish: () => Promise<void>;
  supervisor: Supervisor;
}

/**
 * Supervise a pod until it has finished (`supervise`: the supervisor's run, or its adoption of a
 * pod started elsewhere), then tear it down from its ledger; serve its control socket meanwhile.
 */
export function superviseSandbox(o: Supervised, supervise: () => Promise<number>): RunningPod {
  const { state, sandbox, saver, control, lock, finish, supervisor } = o;
  const done = (async () => {
    try {
      return await supervise();
    } finally {
      const errors = await sandbox.teardown();
      for (const e of errors) o.warn(String(e));
      await saver.lenient();
      await finish();
    }
  })();
  control.attach({
    stop: (timeout) => void supervisor.stop(timeout),
    done,
    attach: (req, socket, rest) =>
      serveAttach(socket, rest, (sink) => supervisor.attach(req.container, sink, { stdin: req.stdin })),
  });
  // The socket closes last: a `stop` request is answered once the pod is torn down (`done`).
  const closed = done.finally(() =>
    control.close().catch((err) => o.warn(`closing the control socket: ${describeError(err)}`)),
  );
  let aborting: Promise<void> | undefined;
  const abort = (err: unknown, waitMs = ABORT_WAIT_MS) =>
    (aborting ??= (async () => {
      o.warn(`the supervisor failed (${describeError(err)}): stopping the pod and tearing it down`);
      new EventRecorder(state).warning(
        undefined,
        'SupervisorFailed',
        `the supervisor failed: ${describeError(err)}; the pod is stopped`,
      );
      void supervisor.stop(0);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        closed.then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs))),
      ]);
      clearTimeout(timer);
      if (ended) return;
      // The supervisor's own machinery is stuck: undo what the ledger says, as gc would.
      o.warn('the supervisor could not tear the pod down in time: removing it from its ledger');
      await removePod(o.roots, state.name, state, { warn: o.warn }).catch((e) => o.warn(describeError(e)));
      await control.close().catch(() => undefined);
      // Released here: the process may go on supervising other pods (supervisor/host.ts).
      lock.release();
    })());
  return {
    done: closed,
    stop: (grace, bySignal) => void supervisor.stop(grace, bySignal),
    abort,
    attach: (name, sink, req) => supervisor.attach(name, sink, req),
    whenRunning: (name) => supervisor.whenRunning(name),
    warning: (reason, message) => {
      new EventRecorder(state).warning(undefined, reason, message);
      void saver.lenient();
    },
  };
}

/** Once the pod is torn down: its record saved (a kept pod) or removed, the saver closed, the lock released. */
export function podFinisher(o: {
  roots: Roots;
  keep: boolean;
  warn: (line: string) => void;
  state: PodState;
  saver: StateSaver;
  lock: PodLock;
}): () => Promise<void> {
  return async () => {
    o.state.tornDown = true;
    try {
      if (o.keep) await o.saver.strict();
      else await removePodFiles(o.roots, o.state.name);
    } catch (err) {
      // Everything on the host is undone; only the record of it is stale or left over.
      o.warn(
        `the pod is torn down, but its record could not be ${o.keep ? 'saved' : 'removed'} (${describeError(err)}): "tspod gc" removes it`,
      );
    } finally {
      await o.saver.close();
      o.lock.release();
    }
  };
}

/** The pod's state saver: a failure is a warning line and a FailedStateSave event, once per run of failures. */
export function stateSaver(
  o: { roots: Roots; warn: (line: string) => void; stateFs?: StateFs },
  state: PodState,
): StateSaver {
  const file = podLayout(o.roots, state.name).stateFile;
  const events = new EventRecorder(state);
  return new StateSaver(() => writeState(o.roots, state, o.stateFs), {
    failed: (err) => {
      const message = `saving the pod's state to ${file} failed (${describeError(err)}): the pod is still supervised, the save is retried`;
      o.warn(message);
      events.warning(undefined, 'FailedStateSave', message);
    },
    recovered: (n) => {
      const message = `the pod's state is saved again (after ${n} failed ${n === 1 ? 'attempt' : 'attempts'})`;
      o.warn(message);
      events.normal(undefined, 'StateSaved', message);
    },
  });
}

/** Remove everything the pod keeps on disk: state, lock, logs, and what teardown left. */
export async function removePodFiles(roots: Roots, name: string): Promise<void> {
  const layout = podLayout(roots, name);
  await fsp.rm(layout.dataDir, { recursive: true, force: true });
  await fsp.rm(layout.runDir, { recursive: true, force: true });
}
