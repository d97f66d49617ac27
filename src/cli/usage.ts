/**
 * Usage errors, said the way a user can act on them.
 *
 * The parser (yargs) reports a mistake in its own words ("Not enough non-option arguments: got 0,
 * need at least 1", "Unknown arguments: l, a"). Here each becomes what kubectl and podman say: which
 * argument is missing or which option is unknown, the usage line of the command that was typed,
 * and where its help is. A usage error is bad input: exit status 125 (CLI.md).
 *
 * Which command was typed is read from the raw arguments (the first word that is not a global
 * option, and for `image` the word after it), not from the parser's internals.
 */
import { groups as groupsOf, nth } from '../checked.js';
import { ExitError } from './common.js';

/** A usage error: the message, then the usage line and a pointer to the help. */
export class UsageError extends ExitError {
  constructor(
    message: string,
    readonly hint: string[] = [],
  ) {
    super(message, 125);
  }
}

/** The global options that take a value (their value is not a command word). */
const GLOBAL_WITH_VALUE = new Set(['--root', '--run-root', '--log-level']);

/** The words that name the command typed (`['logs']`, `['image', 'ls']`), from the raw arguments. */
export function commandWords(args: readonly string[], groups: readonly string[] = ['image']): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = nth(args, i);
    if (a === '--') break;
    if (GLOBAL_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    words.push(a);
    if ((words.length === 1 && !groups.includes(a)) || words.length === 2) break;
  }
  return words;
}

/** `logs <pod>` → `tspod logs POD [options]`; `exec <pod> [command..]` → `tspod exec POD [COMMAND...] [options]`. */
export function usageLine(words: readonly string[], spec: string | undefined): string {
  const args = (spec ?? '')
    .split(/\s+/)
    .slice(1)
    .map((a) =>
      a
        .replace(/^<(.+?)(\.\.)?>$/, (_, n: string, many?: string) => `${n.toUpperCase()}${many ? '...' : ''}`)
        .replace(/^\[(.+?)(\.\.)?\]$/, (_, n: string, many?: string) => `[${n.toUpperCase()}${many ? '...' : ''}]`),
    );
  return ['tspod', ...words, ...args, '[options]'].join(' ');
}

/** The names of the demanded positionals of a command spec (`rm <pods..>` → ['POD']). */
function demanded(spec: string | undefined): string[] {
  return [...(spec ?? '').matchAll(/<([^>.]+)(\.\.)?>/g)].map((m) =>
    groupsOf(m, 1)[0]
      .toUpperCase()
      .replace(/S$/, m[2] ? '' : 'S'),
  );
}

/** The option as the user typed it: `l` → `-l`, `no-headerz` → `--no-headerz`. */
function asTyped(name: string, args: readonly string[]): string {
  if (args.includes(name)) return name; // a stray word, not an option
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/**
 * The UsageError for a parser message, for the command `words` (spec: its yargs command string).
 * `exec` gets kubectl's hint: the command's own options go after `--`.
 */
export function usageError(
  msg: string,
  args: readonly string[],
  words: readonly string[],
  spec: string | undefined,
): UsageError {
  const hint = [
    `Usage: ${usageLine(words, spec)}`,
    `See "tspod ${[...words, '--help'].join(' ')}" for help and examples.`,
  ];
  const missing = /^Not enough non-option arguments: got (\d+), need at least (\d+)/.exec(msg);
  if (missing) {
    const names = demanded(spec).slice(Number(groupsOf(missing, 1)[0]));
    return new UsageError(
      `error: ${names.join(' and ') || 'an argument'} ${names.length > 1 ? 'are' : 'is'} required`,
      hint,
    );
  }
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown) {
    const names = groupsOf(unknown, 1)[0]
      .split(', ')
      .map((n) => asTyped(n, args));
    if (words[0] === 'exec') {
      return new UsageError(
        `error: unknown option ${names.join(', ')} for exec: put the command and its arguments after "--"`,
        [
          'Usage: tspod exec POD [-c NAME] [-i] [-t] [-e NAME=VALUE] [-u UID[:GID]] [-w DIR] -- COMMAND [ARG...]',
          ...hint.slice(1),
        ],
      );
    }
    const options = names.filter((n) => n.startsWith('-'));
    const words2 = names.filter((n) => !n.startsWith('-'));
    const what = [
      ...(options.length ? [`unknown option${options.length > 1 ? 's' : ''} ${options.join(', ')}`] : []),
      ...(words2.length
        ? [`unexpected argument${words2.length > 1 ? 's' : ''} ${words2.map((w) => JSON.stringify(w)).join(', ')}`]
        : []),
    ];
    return new UsageError(`error: ${what.join('; ')}`, hint);
  }
  const missingOption = /^Missing required argument: (.+)$/.exec(msg);
  if (missingOption)
    return new UsageError(
      `error: ${groupsOf(missingOption, 1)[0]
        .split(', ')
        .map((n) => `--${n}`)
        .join(', ')} is required`,
      hint,
    );
  const notEnough = /^Not enough arguments following: (.+)$/.exec(msg);
  if (notEnough) return new UsageError(`error: ${asTyped(groupsOf(notEnough, 1)[0], [])} needs a value`, hint);
  const invalid = /^Invalid values?:\s*Argument: (\S+), Given: (.+), Choices: (.+)$/s.exec(msg.replace(/\n\s*/g, ' '));
  if (invalid) {
    const [option, given, choices] = groupsOf(invalid, 1, 2, 3);
    return new UsageError(`error: --${option}: ${given.trim()} is not one of ${choices.trim()}`, hint);
  }
  if (/^Did you mean/.test(msg) || /^Unknown command/.test(msg))
    return new UsageError(`error: ${msg}`, ['See "tspod --help" for the commands.']);
  return new UsageError(`error: ${msg.replace(/^error: /, '')}`, hint);
}
