/**
 * `tspod exec POD [-c NAME] [-i] [-t] -- CMD [ARG...]`: run a command inside a running container,
 * in all of its namespaces, its root, its environment, its user and capabilities. The exit status
 * is the command's own; 126 when it cannot be executed, 127 when it is not found.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ExecCommandError } from '../exec/exec.js';
import { execSession } from '../exec/session.js';
import { ExitError, checkPodName, rootsOf, type GlobalArgs } from './common.js';

interface ExecArgs extends GlobalArgs {
  pod: string;
  command?: string[];
  '--'?: string[];
  container?: string;
  interactive: boolean;
  tty: boolean;
}

export const execCommand: CommandModule<GlobalArgs, ExecArgs> = {
  command: 'exec <pod> [command..]',
  describe: 'Run a command in a running container',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .parserConfiguration({ 'populate--': true })
      .positional('pod', { type: 'string', demandOption: true, describe: 'pod name' })
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments (after --)' })
      .option('container', { alias: 'c', type: 'string', describe: 'the container (default: the first app container)' })
      .option('interactive', { alias: 'i', type: 'boolean', default: false, describe: 'pass standard input to the command' })
      .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'give the command a terminal' }),
  handler: async (argv: ArgumentsCamelCase<ExecArgs>) => {
    checkPodName(argv.pod);
    // Everything after `--` is the command's own, options included.
    const command = [...(argv.command ?? []), ...(argv['--'] ?? [])].map(String);
    if (command.length === 0) throw new ExitError('exec: no command given (tspod exec POD -- CMD [ARG...])', 125);
    try {
      process.exitCode = await execSession(rootsOf(argv), argv.pod, {
        container: argv.container, argv: command, interactive: argv.interactive || argv.tty, tty: argv.tty,
      });
    } catch (err) {
      if (err instanceof ExecCommandError) throw new ExitError(err.message, err.status, { cause: err.cause });
      throw err;
    }
  },
};
