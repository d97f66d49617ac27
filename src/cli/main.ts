/**
 * The tspod command line (CLI.md is the contract). One yargs command module per file; each is thin:
 * it parses, calls the library and prints. Errors end as one `tspod: ...` line on stderr.
 */
import yargs from 'yargs';
import { ExitError, STDIN_ARG, describeError, globalOptions } from './common.js';
import { commands } from './commands.js';

/** A bare "-" before "--" becomes STDIN_ARG; arguments after "--" belong to a command and stay. */
function protectDash(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN_ARG : a));
}

export async function main(args: string[]): Promise<void> {
  let cli = globalOptions(yargs(protectDash(args)))
    .scriptName('tspod')
    .usage('$0 <command>\n\nRuns Kubernetes Pod manifests on this host with Linux namespaces.')
    .strict()
    .demandCommand(1, 'tspod: a command is required (see --help)')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 80))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new ExitError(msg, 125);
    });
  for (const command of commands) cli = cli.command(command);
  try {
    await cli.parseAsync();
  } catch (err) {
    const status = err instanceof ExitError ? err.status : 125;
    const text = describeError(err);
    if (text) process.stderr.write(`tspod: ${text}\n`);
    process.exitCode = status;
  }
}
