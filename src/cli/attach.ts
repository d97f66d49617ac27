/**
 * `tspod attach POD [-c NAME] [-i] [-t] [-q] [--detach-keys KEYS]`: attach to the running process
 * of a container, as `kubectl attach` (attach/attach-pod.ts). Several sessions may be attached at
 * once; each sees the output from when it attached. Ctrl-P Ctrl-Q (or --detach-keys) leaves a
 * session with a terminal and the container runs on; EOF on a non-terminal stdin ends the
 * session's input (with stdinOnce, the container's stdin closes).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { attachPod, CannotAttach } from '../attach/attach-pod.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../attach/detach-keys.js';
import { ExitError, checkPodName, rootsOf, type GlobalArgs } from './common.js';
import { UsageError } from './usage.js';

export interface AttachArgs extends GlobalArgs {
  pod: string;
  container?: string;
  stdin: boolean;
  tty: boolean;
  quiet: boolean;
  detachKeys: string;
}

const HINT = [
  'Usage: tspod attach POD [-c NAME] [-i] [-t] [-q] [--detach-keys KEYS]',
  'See "tspod attach --help" for help and examples.',
];

/** `--detach-keys`, checked (a usage error, status 125, naming the option). */
export function detachKeysArg(spec: string): Buffer {
  try {
    return parseDetachKeys(spec);
  } catch (err) {
    throw new UsageError(`error: --detach-keys: ${(err as Error).message}`, HINT);
  }
}

export const attachCommand: CommandModule<GlobalArgs, AttachArgs> = {
  command: 'attach <pod>',
  describe: 'Attach to the running process of a container (its output; with -i its stdin)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pod', { type: 'string', demandOption: true, describe: 'pod name' })
      .option('container', { alias: 'c', type: 'string', describe: 'the container (default: the first app container)' })
      .option('stdin', {
        alias: 'i',
        type: 'boolean',
        default: false,
        describe: 'pass stdin to the container (it must have stdin: true)',
      })
      .option('tty', {
        alias: 't',
        type: 'boolean',
        default: false,
        describe: 'stdin is a TTY (the container must have tty: true)',
      })
      .option('quiet', {
        alias: 'q',
        type: 'boolean',
        default: false,
        describe: 'only print output from the remote session',
      })
      .option('detach-keys', {
        type: 'string',
        default: DEFAULT_DETACH_KEYS,
        describe: 'the key sequence that detaches (with a terminal)',
      })
      .example('$0 attach web', 'the output of the first container, from now on')
      .example('$0 attach shell -c sh -i -t', 'a terminal on the container "sh"; Ctrl-P Ctrl-Q detaches')
      .example('echo hello | $0 attach cat -i', "write to the container's stdin") as unknown as Argv<AttachArgs>,
  handler: async (argv: ArgumentsCamelCase<AttachArgs>) => {
    checkPodName(argv.pod);
    const detachKeys = detachKeysArg(argv.detachKeys);
    try {
      await attachPod(rootsOf(argv), argv.pod, {
        container: argv.container,
        stdin: argv.stdin,
        tty: argv.tty,
        quiet: argv.quiet,
        detachKeys,
      });
    } catch (err) {
      if (err instanceof CannotAttach) throw new ExitError(err.message, 125);
      throw err;
    }
  },
};
