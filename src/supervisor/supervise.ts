/**
 * The detached supervisor's side of `tspod run -d` (detach.ts is the command's side): read the
 * pod from stdin, run it with runPod (the same code as a foreground run), report readiness on fd 3,
 * and live until the pod has ended and is torn down. Detached pods are kept (`keep`), so that
 * `ps -a`, `inspect` and `logs` still show them once they ended, until `tspod rm`.
 *
 * Its own messages go to `<root>/pods/<name>/supervisor.log`, opened only once the pod's name is
 * claimed (before that, the directory may belong to another pod of the same name); a failure
 * before that point reaches the user through the readiness pipe.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeError } from '../errors.js';
import { readStdin } from '../stdin.js';
import { readState } from '../state/store.js';
import { runPod, PodExistsError, type RunningPod } from './run-pod.js';
import { guardPod } from './last-resort.js';
import { removePod } from '../teardown/cleanup.js';
import type { PodState } from '../state/types.js';
import { READY_FD, supervisorLog, type ReadyMessage, type SuperviseInput } from './detach.js';

let readySent = false;

/** The one readiness line; the command that waits for it exits when it has it. */
function sendReady(msg: ReadyMessage): void {
  if (readySent) return;
  readySent = true;
  try {
    fs.writeSync(READY_FD, JSON.stringify(msg) + '\n');
    fs.closeSync(READY_FD);
  } catch {
    // the command is gone (interrupted): the pod runs on regardless
  }
}

/** Appends timestamped lines to the supervisor's log, creating it on first use. */
function logger(file: string): (line: string) => void {
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
      return { ok: false, error: `container "${s.name}" of pod "${state.name}" cannot run: ${t.message ?? ''}`, status: t.exitCode };
    }
  }
  return { ok: true, name: state.name };
}

/** Start the pod; on failure, report it on the readiness pipe and remove what the attempt left. */
async function start(input: SuperviseInput, log: (line: string) => void): Promise<RunningPod | undefined> {
  try {
    return await runPod({
      roots: input.roots, pod: input.pod, images: input.images, config: input.config, network: input.network, keep: true,
      // (no sink: the containers' output goes to their log files only)
      explain: input.explain ? (l) => log(`[explain] ${l}`) : () => undefined,
      warn: (l) => log(`warning: ${l}`),
      onStarted: (state) => sendReady(readiness(state)),
      // Init containers may take any time, or keep failing: run -d returns once they begin.
      onInitializing: (state) => sendReady({ ok: true, name: state.name }),
    });
  } catch (err) {
    // Nothing of the pod runs: do not leave a pod to `rm` behind a `run` that failed (but never
    // touch the pod that already had the name).
    const name = input.pod.metadata.name;
    if (!(err instanceof PodExistsError)) {
      await removePod(input.roots, name, await readState(input.roots, name).catch(() => undefined), { warn: log }).catch((e) => log(describeError(e)));
    }
    sendReady({ ok: false, error: describeError(err), status: 125 });
    return undefined;
  }
}

export async function superviseDetached(): Promise<number> {
  const input = JSON.parse(await readStdin()) as SuperviseInput;
  const name = input.pod.metadata.name;
  const log = logger(supervisorLog(input.roots, name));
  let running: RunningPod | undefined;
  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
    running?.stop();
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal).on('SIGHUP', () => undefined);
  running = await start(input, log);
  if (!running) return 125;
  if (stopRequested) running.stop();
  // An error nobody caught stops and tears down the pod rather than leave it Orphaned.
  guardPod(running, { warn: (l) => log(`warning: ${l}`), exit: (status) => process.exit(status) });
  log(`supervising pod "${name}" (pid ${process.pid})`);
  try {
    const status = await running.done;
    log(`pod "${name}" ended (status ${status})`);
    sendReady({ ok: false, error: `pod "${name}" ended before its app containers started (status ${status}); see "tspod logs ${name}"`, status: 125 });
    return status;
  } catch (err) {
    log(`pod "${name}" failed: ${describeError(err)}`);
    sendReady({ ok: false, error: describeError(err), status: 125 });
    return 125;
  }
}
