/**
 * A closed output pipe. A Unix tool whose reader went away (`tspod ps | head -1`) is killed by
 * SIGPIPE at its next write. Node ignores SIGPIPE, so the write fails with EPIPE instead, and the
 * failure arrives as an 'error' event on process.stdout: uncaught, it ends the command with a
 * stack trace. Here it ends the command as the signal would: quietly, with status 141 (128 +
 * SIGPIPE). A command that has something to undo first (a foreground `run` stops its pod) takes
 * the event over with onOutputClosed. Any other failure of the output (EIO from a terminal that
 * hung up) is handled the same way, with status 74 (EX_IOERR).
 */
export const SIGPIPE = 13;
export const EX_IOERR = 74;

let handler: ((status: number) => void) | undefined;
let closed = false;

/** True once stdout or stderr failed: write nothing more to them. */
export function outputClosed(): boolean {
  return closed;
}

/** Who ends the command when the output closes (undefined: exit at once). */
export function onOutputClosed(h: ((status: number) => void) | undefined): void {
  handler = h;
}

export function handleClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // Later writes to the destroyed stream fail again: the first failure decides.
      if (closed) return;
      closed = true;
      const status = err.code === 'EPIPE' ? 128 + SIGPIPE : EX_IOERR;
      if (handler) handler(status);
      else process.exit(status);
    });
  }
}
