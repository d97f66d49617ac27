/**
 * The user's side of an attach session: this process's stdin, stdout and stderr joined to a
 * container's streams, as `kubectl attach` joins them (and `kubectl run -it`, which attaches to the
 * container it made).
 *
 * With a terminal (the container has `tty: true`, the user asked for stdin and a tty, and this
 * process's stdin is a terminal), the user's terminal is put in raw mode for the session, so
 * every key (^C, ^Z, arrows) reaches the container's terminal untouched and it is the line
 * discipline in the pod that makes ^C a SIGINT; the window size is passed on at the start and at
 * each change (SIGWINCH, which Node reports as stdout's 'resize'); the detach keys
 * (detach-keys.ts) end the session and leave the container running; the terminal is restored
 * however the session ends. Without one, stdin is relayed as bytes until its EOF.
 */
import { kernel } from '../kernel.js';
import { DetachScanner } from './detach-keys.js';
import type { AttachHandle, AttachSink } from './hub.js';

export type SessionEnd = 'exited' | 'input-ended' | 'detached';

export interface SessionOptions {
  /** the container's name, for the messages */
  container: string;
  /** pass this process's stdin to the container */
  stdin: boolean;
  /** the user asked for a terminal */
  tty: boolean;
  /** the detach sequence (parseDetachKeys), watched for in raw mode */
  detachKeys: Buffer;
  /** a note for the user (kubectl's "Unable to use a TTY ..."): on stderr */
  warn: (line: string) => void;
}

export interface SessionResult {
  end: SessionEnd;
  /** the user's terminal was in raw mode (kubectl then prints how to attach again) */
  raw: boolean;
}

/** Start the session with `open` (local hub or remote), run it, resolve with how it ended. */
export async function runSession(
  open: (sink: AttachSink) => AttachHandle | Promise<AttachHandle>,
  o: SessionOptions,
): Promise<SessionResult> {
  const stdin = process.stdin;
  const out = process.stdout;
  let settle!: (why: SessionEnd) => void;
  const ended = new Promise<SessionEnd>((resolve) => (settle = resolve));
  const handle = await open({
    output: (stream, chunk) => (stream === 'stdout' ? out : process.stderr).write(chunk),
    end: (why) => settle(why),
  });
  if (o.stdin && handle.stdinRefused) o.warn(`error: ${handle.stdinRefused}`);
  // As kubectl: a container with a terminal gets one whether -t was given or not.
  const raw = handle.stdin && handle.tty && stdin.isTTY === true;
  if (o.tty && !handle.tty) o.warn(`error: Unable to use a TTY - container ${o.container} did not allocate one`);
  else if (handle.tty && handle.stdin && !stdin.isTTY)
    o.warn('Unable to use a TTY - input is not a terminal or the right kind of file');
  const scanner = raw ? new DetachScanner(o.detachKeys) : undefined;
  const onData = (chunk: Buffer) => {
    if (!scanner) return handle.write(chunk);
    const { forward, detach } = scanner.push(chunk);
    if (forward.length > 0) handle.write(forward);
    if (detach) {
      handle.detach();
      settle('detached');
    }
  };
  const onEnd = () => handle.endInput();
  const resize = () => handle.resize(out.rows, out.columns);
  // Raw as a terminal emulator's program expects: no output processing either (Node's raw mode
  // keeps it), the container's terminal does its own.
  let outputProcessing: boolean | undefined;
  if (raw) {
    stdin.setRawMode(true);
    if (out.isTTY) outputProcessing = kernel.setOutputProcessing(1, false);
    if (out.isTTY) {
      // As kubectl: one size off, then the right one, so that a program attached to again redraws.
      handle.resize(out.rows + 1, out.columns + 1);
      resize();
      out.on('resize', resize);
    }
  }
  if (handle.stdin) {
    stdin.on('data', onData).on('end', onEnd);
    stdin.resume();
  }
  try {
    return { end: await ended, raw };
  } finally {
    out.off('resize', resize);
    stdin.off('data', onData).off('end', onEnd);
    if (raw) stdin.setRawMode(false);
    if (outputProcessing !== undefined) kernel.setOutputProcessing(1, outputProcessing);
    stdin.pause();
  }
}
