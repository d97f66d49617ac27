/**
 * The tspod command line (CLI.md is the contract). One yargs command module per file; each is thin:
 * it parses, calls the library and prints. Errors end as one `tspod: ...` line on stderr (usage
 * errors add the usage line and where the help is, usage.ts).
 *
 * `tspod` alone prints the help (exit 0), as kubectl does; `-h` is `--help` everywhere;
 * `--version` exists only at the top (`tspod version 0.1.0 (commit ...)`).
 */
import yargs, { type Argv } from 'yargs';
import { ExitError, STDIN_ARG, describeError, globalOptions, permissionProblem } from './common.js';
import { commands } from './commands.js';
import { handleClosedOutput, outputClosed } from './pipe.js';
import { UsageError, commandWords, usageError } from './usage.js';
import { versionLine } from './version.js';
import { complete, realSources } from './completion.js';
import { execArgs } from './exec-args.js';
import { imageCommand, imageSubcommands } from './image.js';

/** A bare "-" before "--" becomes STDIN_ARG; arguments after "--" belong to a command and stay. */
function protectDash(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN_ARG : a));
}

const EPILOGUE = `Exit status: 0 on success; for "run", the first failed container's exit code (128+N for
signal N, 130/143 when stopped by SIGINT/SIGTERM); for "exec", the command's own; 125 when tspod
itself failed (bad arguments, an invalid manifest, a missing pod or image); 126/127 when a
command cannot be executed / is not found.`;

/** The yargs command string of the command `words` names (`['image', 'ls']` → `ls`), if any. */
function specOf(words: string[]): string | undefined {
  const names = (c: { command?: string | readonly string[] }) => [c.command ?? []].flat().map((s) => s.split(' ')[0]);
  const top = commands.find((c) => names(c).includes(words[0]));
  if (!top) return undefined;
  const subs = top === imageCommand ? imageSubcommands : undefined;
  if (words.length > 1 && subs) return [subs.find((s) => names(s).includes(words[1]))?.command ?? []].flat()[0];
  return [top.command ?? []].flat()[0];
}

function knownCommand(word: string): boolean {
  return commands.some((c) => [c.command ?? []].flat().some((s) => s.split(' ')[0] === word));
}

function parser(args: string[]): Argv {
  let cli = globalOptions(yargs(args))
    .scriptName('tspod')
    .usage('Usage: $0 <command> [options]\n\nRuns Kubernetes Pod manifests on this host with Linux namespaces.')
    .version(false)
    .option('version', { type: 'boolean', global: false, describe: 'print "tspod version X (commit Y)" and exit' })
    .help('help')
    .alias('help', 'h')
    .strict()
    .recommendCommands()
    .epilogue(EPILOGUE)
    .wrap(Math.min(110, process.stdout.columns ?? 80))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      const words = commandWords(args);
      if (words.length > 0 && !knownCommand(words[0])) {
        throw new UsageError(`error: unknown command "${words[0]}"${/^Did you mean/.test(msg ?? '') ? ` (${msg})` : ''}`, ['See "tspod --help" for the commands.']);
      }
      throw usageError(msg ?? '', args, words, specOf(words));
    });
  for (const command of commands) cli = cli.command(command);
  // yargs renders the whole help text after every command handler, to keep it in case the
  // handler's promise fails later; tspod prints its own errors (above), so that text is never
  // used and costs tens of milliseconds on every run (issue 15). Skip it.
  const usage = (cli as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }).getInternalMethods().getUsageInstance();
  usage.cacheHelpMessage = () => undefined;
  return cli;
}

/** The help text of the command `words`, as `--help` prints it (for completion.ts). */
function helpOf(words: string[]): Promise<string> {
  return new Promise((resolve) => {
    void parser(words).parse([...words, '--help'], {}, (_err: unknown, _argv: unknown, output: string) => resolve(output ?? ''));
  });
}

/** `tspod __complete WORD...` (the completion scripts call it): one candidate a line. */
async function completeWords(words: string[]): Promise<void> {
  const names = commands.flatMap((c) => [c.command ?? []].flat().map((s) => s.split(' ')[0])).filter((n) => !n.startsWith('__'));
  const out = await complete(words, realSources(names, helpOf));
  process.stdout.write(out.map((c) => `${c}\n`).join(''));
}

export async function main(argv: string[]): Promise<void> {
  handleClosedOutput();
  if (argv[0] === '__complete') return completeWords(argv.slice(1));
  const args = protectDash(execArgs(argv));
  try {
    const words = commandWords(args);
    const asksHelp = args.some((a) => a === '--help' || a === '-h');
    if (words.length === 0 && !asksHelp && args.includes('--version')) {
      process.stdout.write(`${versionLine()}\n`);
      return;
    }
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
