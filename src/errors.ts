/**
 * Errors as one line for a person: tspod wraps a failed system call in errors that say what it was
 * doing (`cause` keeps the Node system error with its `code`, `errno`, `syscall` and `path`), and
 * every layer that reports an error (the CLI, the detached supervisor's log) prints the whole chain.
 */
import { inspect } from 'node:util';

/** One line: the message, then each cause's message (so `errno` context is never lost). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e) {
    // A thrown non-Error (a plain object from a callback) is shown, never as "[object Object]".
    const msg = e instanceof Error ? e.message : typeof e === 'string' ? e : inspect(e);
    if (msg && !parts.some((p) => p.includes(msg))) parts.push(msg);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}
