/**
 * One detached pod inside the supervisor of all detached pods (host.ts hosts many of these; the
 * command's side is detach.ts): run the pod with runPod (the same code as a foreground run),
 * answer readiness once, and live until the pod has ended and is torn down. Detached pods are
 * kept (`keep`), so that `ps -a`, `inspect` and `logs` still show them once they ended, until
 * `tspod rm`.
 *
 * What a process of its own gave each pod before is the pod's own here: its messages go to
 * `<root>/pods/<name>/supervisor.log` (opened only once the pod's name is claimed: before that, the
 * directory may belong to another pod of the same name; a failure before that point reaches the
 * user through the readiness answer), a stop comes through `stop` (the host's signals call it for
 * every pod), and its last resort is `fail` (an error nobody caught in the pod's code: the pod is
 * stopped and torn down, from its ledger if need be, and the other pods go on). A pod whose
 * supervisor died is hosted the same way once adopted (adoptHosted).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeError } from '../errors.js';
import { readState } from '../state/store.js';
import { runPod, PodExistsError, type RunningPod } from './run-pod.js';
import { ABORT_STATUS } from './last-resort.js';
import { removePod } from '../teardown/cleanup.js';
import type { PodState } from '../state/types.js';
import { supervisorLog, type ReadyMessage, type SuperviseInput } from './detach.js';
import { adoptPod } from './adopt.js';
import type { Roots } from '../paths.js';

/** A pod being supervised here. */
export interface HostedPod {
  name: string;
  /** resolves with the pod's exit status (CLI.md) once it has ended and is torn down */
  done: Promise<number>;
  /** stop gracefully (the pod's grace period), as SIGTERM did to a supervisor of one pod */
  stop(): void;
  /** the last resort: an error nobody caught in this pod's code */
  fail(err: unknown): void;
  /** a Warning event about the pod, from the supervisor (its monitor gone, say) */
  warning(reason: string, message: string): void;
}

/** Appends timestamped lines to a log file, creating it on first use. */
export function logger(file: string): (line: string) => void {
  let fd: number | undefined;
  return (line) => {
    try {
      if (fd === undefined) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fd = fs.openSync(file, 'a', 0o640);
      }
      fs.writeSync(fd, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // nowhere left to say it
    }
  };
}

/** Started; but an app container whose command cannot run fails the command with 126/127, as a foreground run would. */
function readiness(state: PodState): ReadyMessage {
  for (const s of state.status.containerStatuses) {
    // (A container to be restarted already waits out its back-off: the failure is its lastState.)
    const last = 'waiting' in s.state ? s.lastState : s.state;
    const t = 'terminated' in last ? last.terminated : undefined;
    if (t?.reason === 'ContainerCannotRun') {
      return {
        ok: false,
        error: `container "${s.name}" of pod "${state.name}" cannot run: ${t.message ?? ''}`,
        status: t.exitCode,
      };
    }
  }
  return { ok: true, name: state.name };
}

/** Start the pod; on failure, answer with it and remove what the attempt left. */
async function start(
  input: SuperviseInput,
  log: (line: string) => void,
  ready: (m: ReadyMessage) => void,
): Promise<RunningPod | undefined> {
  try {
    return await runPod({
      roots: input.roots,
      pod: input.pod,
      images: input.images,
      config: input.config,
      network: input.network,
      keep: true,
      // (no sink: the containers' output goes to their log files only)
      explain: input.explain ? (l) => log(`[explain] ${l}`) : () => undefined,
      warn: (l) => log(`warning: ${l}`),
      onStarted: (state) => ready(readiness(state)),
      // Init containers may take any time, or keep failing: run -d returns once they begin.
      onInitializing: (state) => ready({ ok: true, name: state.name }),
    });
  } catch (err) {
    // Nothing of the pod runs: do not leave a pod to `rm` behind a `run` that failed (but never
    // touch the pod that already had the name).
    const name = input.pod.metadata.name;
    if (!(err instanceof PodExistsError)) {
      await removePod(input.roots, name, await readState(input.roots, name).catch(() => undefined), {
        warn: log,
      }).catch((e) => log(describeError(e)));
    }
    ready({ ok: false, error: describeError(err), status: 125 });
    return undefined;
  }
}

/** Supervise one pod; `answer` is called once, with the answer `run -d` waits for. */
export function supervisePod(input: SuperviseInput, answer: (m: ReadyMessage) => void): HostedPod {
  const name = input.pod.metadata.name;
  const log = logger(supervisorLog(input.roots, name));
  let answered = false;
  const ready = (m: ReadyMessage) => {
    if (answered) return;
    answered = true;
    answer(m);
  };
  return hosted(name, log, ready, () => start(input, log, ready));
}

/**
 * Take up an orphaned pod (its supervisor died: adopt.ts) and supervise it here. A pod that
 * cannot be adopted (another process has it, it has ended, its state is unreadable) is left as it
 * was, for `ps` to show and `gc` to clean.
 */
export function adoptHosted(roots: Roots, name: string, adopt: typeof adoptPod = adoptPod): HostedPod {
  const log = logger(supervisorLog(roots, name));
  return hosted(
    name,
    log,
    () => undefined,
    async () => {
      try {
        const running = await adopt({ roots, name, warn: (l) => log(`warning: ${l}`), explain: () => undefined });
        log(`adopted pod "${name}" (pid ${process.pid})`);
        return running;
      } catch (err) {
        log(`pod "${name}" not adopted: ${describeError(err)}`);
        return undefined;
      }
    },
  );
}

/** A pod supervised here once `begin` has given its RunningPod (undefined: it never began). */
function hosted(
  name: string,
  log: (line: string) => void,
  ready: (m: ReadyMessage) => void,
  begin: () => Promise<RunningPod | undefined>,
): HostedPod {
  let running: RunningPod | undefined;
  let stopRequested = false;
  let failure: { err: unknown } | undefined;
  // Settles once an abort has finished: the pod is gone then, even if its supervisor is stuck.
  let abortFinished!: (status: number) => void;
  const aborted = new Promise<number>((resolve) => (abortFinished = resolve));
  let aborting = false;
  const abort = (r: RunningPod, err: unknown) => {
    if (aborting) return;
    aborting = true;
    void r
      .abort(err)
      .catch((e) => log(describeError(e)))
      .finally(() => abortFinished(ABORT_STATUS));
  };
  const done = (async () => {
    running = await begin();
    if (!running) return 125;
    if (stopRequested) running.stop();
    if (failure) abort(running, failure.err);
    log(`supervising pod "${name}" (pid ${process.pid})`);
    try {
      const status = await Promise.race([running.done, aborted]);
      log(`pod "${name}" ended (status ${status})`);
      ready({
        ok: false,
        error: `pod "${name}" ended before its app containers started (status ${status}); see "tspod logs ${name}"`,
        status: 125,
      });
      return status;
    } catch (err) {
      log(`pod "${name}" failed: ${describeError(err)}`);
      ready({ ok: false, error: describeError(err), status: 125 });
      return 125;
    }
  })();
  return {
    name,
    done,
    stop: () => {
      stopRequested = true;
      running?.stop();
    },
    warning: (reason, message) => {
      log(`warning: ${message}`);
      running?.warning(reason, message);
    },
    fail: (err) => {
      failure ??= { err };
      // (before the start returned the pod, it is aborted as soon as it does)
      if (running) abort(running, err);
    },
  };
}
