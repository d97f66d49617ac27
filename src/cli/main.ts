/**
 * The tspod command line (CLI.md is the contract). One yargs command module per file; each is thin:
 * it parses, calls the library and prints. Errors end as one `tspod: ...` line on stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { PACKAGE_DIR } from '../paths.js';
import { ExitError, STDIN_ARG, describeError, globalOptions, permissionProblem } from './common.js';
import { commands } from './commands.js';
import { handleClosedOutput, outputClosed } from './pipe.js';

/** The version in package.json (read at run time: the CLI may run from a bundle in dist/). */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
}

/** A bare "-" before "--" becomes STDIN_ARG; arguments after "--" belong to a command and stay. */
function protectDash(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN_ARG : a));
}

export async function main(args: string[]): Promise<void> {
  handleClosedOutput();
  let cli = globalOptions(yargs(protectDash(args)))
    .scriptName('tspod')
    .version(packageVersion())
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
    const text = permissionProblem(err) ?? describeError(err);
    if (text && !outputClosed()) process.stderr.write(`tspod: ${text}\n`);
    process.exitCode = status;
  }
}
