/**
 * What every command shares: the global options, and how a failure becomes one line on stderr.
 *
 * Commands are thin (as in crun's `src/*.c`): parse, call the library, print. A thrown error ends
 * the command with `tspod: <message>` and, unless it carries its own, exit status 125 (CLI.md).
 */
import type { Argv } from 'yargs';
import { resolveRoots, type Roots } from '../paths.js';

/** The argument that means "standard input": main() turns a bare "-" into it (yargs would make it ""). */
export const STDIN_ARG = '/dev/stdin';

export interface GlobalArgs {
  root?: string;
  runRoot?: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('root', { type: 'string', describe: 'images, pod volumes, layers, logs [env TSPOD_ROOT]', defaultDescription: '/var/lib/tspod' })
    .option('run-root', { type: 'string', describe: 'pod state, locks, sockets, netns pins [env TSPOD_RUN_ROOT]', defaultDescription: '/run/tspod' })
    .option('log-level', {
      choices: ['error', 'warn', 'info', 'debug'] as const,
      default: (process.env.TSPOD_LOG_LEVEL ?? 'info') as 'error' | 'warn' | 'info' | 'debug',
      describe: 'how much tspod says on stderr [env TSPOD_LOG_LEVEL]',
    });
}

export function rootsOf(argv: GlobalArgs): Roots {
  return resolveRoots({ root: argv.root, runRoot: argv.runRoot });
}

/** An error that ends the command with a chosen exit status. */
export class ExitError extends Error {
  constructor(message: string, readonly status: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One line: the message, then each cause's message (so `errno` context is never lost). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg && !parts.some((p) => p.includes(msg))) parts.push(msg);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}
