/**
 * `tspod exec POD [-c NAME] [-i] [-t] [-e NAME=VALUE] [-u UID[:GID]] [-w DIR] [--] CMD [ARG...]`:
 * run a command inside a running container, in all of its namespaces, its root, its environment,
 * its user and capabilities (`-e`, `-u`, `-w` change the environment, user and working directory,
 * as `podman exec` does). The first word after the pod starts the command (exec-args.ts), so
 * `tspod exec POD ls -la /` works as `tspod exec POD -- ls -la /` does. The exit status is the
 * command's own; 126 when it cannot be executed, 127 when it is not found.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ExecCommandError } from '../exec/exec.js';
import { execSession } from '../exec/session.js';
import { ExitError, checkPodName, rootsOf, type GlobalArgs } from './common.js';
import { UsageError } from './usage.js';

interface ExecArgs extends GlobalArgs {
  pod: string;
  command?: string[];
  '--'?: string[];
  container?: string;
  interactive: boolean;
  tty: boolean;
  env?: string | string[];
  user?: string;
  workdir?: string;
}

const HINT = [
  'Usage: tspod exec POD [-c NAME] [-i] [-t] [-e NAME=VALUE] [-u UID[:GID]] [-w DIR] [--] COMMAND [ARG...]',
  'See "tspod exec --help" for help and examples.',
];

/** `-e NAME=VALUE`, checked: a name, then `=`. */
export function parseEnv(v: string | string[] | undefined): string[] {
  const list = v === undefined ? [] : [v].flat().map(String);
  for (const e of list)
    if (!/^[^=\0]+=/.test(e) || e.includes('\0'))
      throw new UsageError(`error: -e ${JSON.stringify(e)}: expected NAME=VALUE`, HINT);
  return list;
}

/** `-u UID[:GID]`, numeric as Kubernetes' runAsUser and runAsGroup are. */
export function parseUser(v: string | undefined): { uid: number; gid?: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(v);
  const ok = (n: string | undefined) => n === undefined || Number(n) <= 0xfffffffe;
  if (!m || !ok(m[1]) || !ok(m[2]))
    throw new UsageError(
      `error: -u ${JSON.stringify(v)}: expected a numeric UID or UID:GID (as runAsUser and runAsGroup)`,
      HINT,
    );
  return { uid: Number(m[1]), ...(m[2] !== undefined ? { gid: Number(m[2]) } : {}) };
}

export const execCommand: CommandModule<GlobalArgs, ExecArgs> = {
  command: 'exec <pod> [command..]',
  describe: 'Run a command in a running container',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .parserConfiguration({ 'populate--': true })
      .positional('pod', { type: 'string', demandOption: true, describe: 'pod name' })
      .positional('command', {
        type: 'string',
        array: true,
        describe: 'the command and its arguments (everything after the pod, or after --)',
      })
      .option('container', { alias: 'c', type: 'string', describe: 'the container (default: the first app container)' })
      .option('interactive', {
        alias: 'i',
        type: 'boolean',
        default: false,
        describe: 'pass standard input to the command',
      })
      .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'give the command a terminal' })
      .option('env', { alias: 'e', type: 'string', describe: 'set an environment variable, NAME=VALUE (repeatable)' })
      .option('user', { alias: 'u', type: 'string', describe: "run as UID[:GID] instead of the container's user" })
      .option('workdir', {
        alias: 'w',
        type: 'string',
        describe: "the working directory (absolute) instead of the container's",
      })
      .example('$0 exec web ls -la /', "list the container's root (the command starts after the pod name)")
      .example('$0 exec web -c sidecar -- cat /etc/hostname', 'in the container "sidecar"')
      .example('$0 exec -it web sh', 'a shell with a terminal')
      .example('$0 exec -e DEBUG=1 -u 1000 -w /tmp web env', 'another environment variable, user and directory')
      .epilogue(
        "Exit status: the command's own; 126 when it cannot be executed, 127 when it is not found, 125 when tspod failed.",
      ),
  handler: async (argv: ArgumentsCamelCase<ExecArgs>) => {
    checkPodName(argv.pod);
    // Everything after `--` is the command's own, options included.
    const command = [...(argv.command ?? []), ...(argv['--'] ?? [])].map(String);
    if (command.length === 0) throw new UsageError('error: COMMAND is required', HINT);
    const env = parseEnv(argv.env);
    const user = parseUser(argv.user);
    if (argv.workdir !== undefined && !argv.workdir.startsWith('/'))
      throw new UsageError(
        `error: -w ${JSON.stringify(argv.workdir)}: the working directory must be an absolute path`,
        HINT,
      );
    try {
      process.exitCode = await execSession(rootsOf(argv), argv.pod, {
        container: argv.container,
        argv: command,
        interactive: argv.interactive || argv.tty,
        tty: argv.tty,
        env,
        ...(user ? { user } : {}),
        ...(argv.workdir !== undefined ? { workdir: argv.workdir } : {}),
      });
    } catch (err) {
      if (err instanceof ExecCommandError) throw new ExitError(err.message, err.status, { cause: err.cause });
      throw err;
    }
  },
};
