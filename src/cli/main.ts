/**
 * The tspod command line (CLI.md is the contract). One yargs command module per file; each is thin:
 * it parses, calls the library and prints. Errors end as one `tspod: ...` line on stderr (usage
 * errors add the usage line and where the help is, usage.ts).
 *
 * `tspod` alone prints the help (exit 0), as kubectl does; `-h` is `--help` everywhere;
 * `--version` exists only at the top (`tspod version 0.1.0 (commit ...)`).
 *
 * The hot commands' plain invocations skip yargs (fast-path.ts); everything else, and every usage
 * error, goes through it (parser.ts). Both are loaded on demand, so a command loads what it uses.
 */
import { ExitError, STDIN_ARG, describeError, permissionProblem } from './common.js';
import { handleClosedOutput, outputClosed } from './pipe.js';
import { UsageError, commandWords } from './usage.js';
import { versionLine } from './version.js';
import { execArgs } from './exec-args.js';
import { runFast } from './fast-path.js';

/** A bare "-" before "--" becomes STDIN_ARG; arguments after "--" belong to a command and stay. */
function protectDash(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN_ARG : a));
}

export async function main(argv: string[]): Promise<void> {
  handleClosedOutput();
  if (argv[0] === '__complete') return (await import('./parser.js')).completeWords(argv.slice(1));
  const args = protectDash(execArgs(argv));
  try {
    const words = commandWords(args);
    const asksHelp = args.some((a) => a === '--help' || a === '-h');
    if (words.length === 0 && !asksHelp && args.includes('--version')) {
      process.stdout.write(`${versionLine()}\n`);
      return;
    }
    if (await runFast(args, words)) return;
    const { parser } = await import('./parser.js');
    await parser(args).parseAsync();
    // No command (only global options, or nothing at all): the help, as kubectl prints it.
    if (words.length === 0 && !asksHelp) process.stdout.write(`${await parser(['--help']).getHelp()}\n`);
  } catch (err) {
    const status = err instanceof ExitError ? err.status : 125;
    const text = permissionProblem(err) ?? describeError(err);
    if (text && !outputClosed()) {
      process.stderr.write(`tspod: ${text}\n`);
      if (err instanceof UsageError) for (const line of err.hint) process.stderr.write(`${line}\n`);
    }
    process.exitCode = status;
  }
}
