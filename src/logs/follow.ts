/**
 * `tspod logs`: which log files to show, and following them while the containers run.
 *
 * Following is polling: every few hundred milliseconds, read what was appended to each followed
 * file, and re-read the pod's state to learn whether the followed instance still runs. An instance
 * is over when its process left the state (the supervisor removes it only after draining the
 * container's pipes into the file, so nothing is missed), when a newer instance replaced it, or
 * when the supervisor is gone. As with `kubectl logs -f`, following ends with the container.
 */
import type { Roots } from '../paths.js';
import { podLayout } from '../layout.js';
import { isSupervised, readState } from '../state/store.js';
import type { PodState } from '../state/types.js';
import type { LogLine } from './cri-log.js';
import { since, tail } from './select.js';
import { LogPrinter, LogTail, loggedInstances, mergeByTime, selectInstance } from './reader.js';
import { containerNames, getPod, pickContainer, stateOf } from '../pods/pods.js';
import { nth } from '../checked.js';

export interface LogsOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** the last N lines of each container (of what is there when the command starts) */
  tail?: number;
  /** only records written at or after this time (nanoseconds since the epoch) */
  sinceNs?: bigint;
  /** init containers too, in manifest order (kubectl's --all-containers) */
  allContainers?: boolean;
  /** `[pod/NAME/CONTAINER] ` before each line (kubectl's --prefix) */
  prefix?: boolean;
  write: (bytes: Buffer) => void;
  pollMs?: number;
}

interface Followed {
  container: string;
  /** the instance being shown; undefined while the container has not started yet */
  instance?: number;
  tail?: LogTail;
  done: boolean;
}

export async function showLogs(roots: Roots, name: string, o: LogsOptions): Promise<void> {
  const state = stateOf(await getPod(roots, name));
  const layout = podLayout(roots, name);
  // Without -c: the app containers, as kubectl does (an init container's output needs -c or
  // --all-containers).
  const names =
    o.container !== undefined
      ? [pickContainer(state, o.container)]
      : containerNames(state, o.allContainers ? 'all' : 'app');
  const prefix = o.prefix
    ? (c: string) => `[pod/${name}/${c}] `
    : names.length > 1
      ? (c: string) => `[${c}] `
      : undefined;
  const printer = new LogPrinter({ prefix, timestamps: o.timestamps });
  const chosen = names.map((c): Followed => {
    const instance = selectInstance(loggedInstances(layout.logsDir, c), state.containers[c]?.instance, o.previous);
    return {
      container: c,
      instance,
      done: false,
      ...(instance !== undefined ? { tail: new LogTail(layout.log(c, instance)) } : {}),
    };
  });
  if (o.container !== undefined && nth(chosen, 0).instance === undefined && (o.previous || !o.follow)) {
    throw new Error(
      o.previous
        ? `previous terminated container "${o.container}" in pod "${name}" not found`
        : `container "${o.container}" in pod "${name}" has not started yet: it has no logs`,
    );
  }
  // --since and --tail choose among what is there at the start; what comes later is all shown.
  let initial = true;
  const print = (batch: { container: string; lines: LogLine[] }[]) => {
    const chosenLines = initial
      ? batch.map((b) => ({ container: b.container, lines: tail(since(b.lines, o.sinceNs), o.tail) }))
      : batch;
    initial = false;
    const out = printer.formatAll(mergeByTime(chosenLines));
    if (out.length > 0) o.write(out);
  };
  if (!o.follow || o.previous) {
    // Once through the rotated files and the current one (LogTail keeps a rotation consistent).
    print(chosen.filter((f) => f.tail).map((f) => ({ container: f.container, lines: readOnce(f.tail!) })));
    return;
  }
  await follow(roots, name, chosen, print, o.pollMs ?? 200);
}

function readOnce(tail: LogTail): LogLine[] {
  const lines = tail.read();
  tail.close();
  return lines;
}

async function follow(
  roots: Roots,
  name: string,
  chosen: Followed[],
  print: (b: { container: string; lines: LogLine[] }[]) => void,
  pollMs: number,
): Promise<void> {
  const layout = podLayout(roots, name);
  for (;;) {
    // State before reading: whatever the state says is over was fully written before it said so.
    const supervised = isSupervised(roots, name);
    const state = await readState(roots, name);
    for (const f of chosen) {
      if (f.instance === undefined) adopt(f, layout.logsDir, state, (c, n) => layout.log(c, n));
      f.done = !supervised || !state || instanceOver(state, f);
    }
    print(chosen.filter((f) => f.tail).map((f) => ({ container: f.container, lines: f.tail!.read() })));
    if (chosen.every((f) => f.done)) return chosen.forEach((f) => f.tail?.close());
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A container that had not started when following began: follow its first instance once it exists. */
function adopt(
  f: Followed,
  logsDir: string,
  state: PodState | undefined,
  file: (c: string, n: number) => string,
): void {
  const instances = loggedInstances(logsDir, f.container);
  const n = selectInstance(instances, state?.containers[f.container]?.instance, false);
  if (n === undefined) return;
  f.instance = n;
  f.tail = new LogTail(file(f.container, n));
}

function instanceOver(state: PodState, f: Followed): boolean {
  const rec = state.containers[f.container];
  if (f.instance === undefined) return state.tornDown === true;
  return !rec || rec.instance !== f.instance || !rec.process;
}
