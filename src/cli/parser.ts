/**
 * The whole command line through yargs (CLI.md): every command, its help, strict checking, and the
 * usage errors of usage.ts. main.ts loads this module only for what the fast path (fast-path.ts)
 * leaves to it, so that the hot commands do not pay for yargs' start-up.
 */
import yargs, { type Argv } from 'yargs';
import { globalOptions } from './common.js';
import { commands } from './commands.js';
import { UsageError, commandWords, usageError } from './usage.js';
import { complete, realSources } from './completion.js';
import { imageCommand, imageSubcommands } from './image.js';
import { nth } from '../checked.js';

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

export function parser(args: string[]): Argv {
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
      const [typed] = words;
      if (typed !== undefined && !knownCommand(typed)) {
        throw new UsageError(`error: unknown command "${typed}"${/^Did you mean/.test(msg ?? '') ? ` (${msg})` : ''}`, [
          'See "tspod --help" for the commands.',
        ]);
      }
      throw usageError(msg ?? '', args, words, specOf(words));
    });
  for (const command of commands) cli = cli.command(command);
  // yargs renders the whole help text after every command handler, to keep it in case the
  // handler's promise fails later; tspod prints its own errors (above), so that text is never
  // used and costs tens of milliseconds on every run (issue 15). Skip it.
  const usage = (cli as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
    .getInternalMethods()
    .getUsageInstance();
  usage.cacheHelpMessage = () => undefined;
  return cli;
}

/** The help text of the command `words`, as `--help` prints it (for completion.ts). */
function helpOf(words: string[]): Promise<string> {
  return new Promise((resolve) => {
    void parser(words).parse([...words, '--help'], {}, (_err: unknown, _argv: unknown, output: string) =>
      resolve(output ?? ''),
    );
  });
}

/** `tspod __complete WORD...` (the completion scripts call it): one candidate a line. */
export async function completeWords(words: string[]): Promise<void> {
  const names = commands
    .flatMap((c) => [c.command ?? []].flat().map((s) => nth(s.split(' '), 0)))
    .filter((n) => !n.startsWith('__'));
  const out = await complete(words, realSources(names, helpOf));
  process.stdout.write(out.map((c) => `${c}\n`).join(''));
}
