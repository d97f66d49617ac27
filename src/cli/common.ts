/**
 * What every command shares: the global options, and how a failure becomes one line on stderr.
 *
 * Commands are thin (as in crun's `src/*.c`): parse, call the library, print. A thrown error ends
 * the command with `tspod: <message>` and, unless it carries its own, exit status 125 (CLI.md).
 */
import type { Argv } from 'yargs';
import { resolveRoots, type Roots } from '../paths.js';
import { checkPodName } from '../pods/pod-name.js';

export { checkPodName };

/** The argument that means "standard input": main() turns a bare "-" into it (yargs would make it ""). */
export const STDIN_ARG = '/dev/stdin';

export interface GlobalArgs {
  root?: string;
  runRoot?: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('root', {
      type: 'string',
      describe: 'images, pod volumes, layers, logs [env TSPOD_ROOT]',
      defaultDescription: '/var/lib/tspod',
    })
    .option('run-root', {
      type: 'string',
      describe: 'pod state, locks, sockets, netns pins [env TSPOD_RUN_ROOT]',
      defaultDescription: '/run/tspod',
    })
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
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export { describeError } from '../errors.js';

/** Every pod name a command was given, checked before anything is looked up (pods/pod-name.ts). */
export function checkPodNames(names: readonly string[]): void {
  for (const name of names) checkPodName(name);
}

/**
 * For a caller who is not root, EACCES or EPERM anywhere in the error's chain means "run me as
 * root": say that instead of what it led to (a pod that seems not to exist, a stat that failed).
 */
export function permissionProblem(err: unknown, euid = process.geteuid?.() ?? 0): string | undefined {
  if (euid === 0) return undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const sys = e as NodeJS.ErrnoException;
    if (sys.code === 'EACCES' || sys.code === 'EPERM') {
      const where = [sys.syscall, sys.path].filter(Boolean).join(' ');
      return `permission denied: tspod needs root${where ? ` (${where})` : ''}`;
    }
  }
  return undefined;
}
