/**
 * The hot commands (`run`, `ps`, `inspect`, `logs`) without loading the parser (issue 15).
 *
 * yargs and its help machinery (string-width's emoji tables, an `Intl.Segmenter`) cost more to load
 * than a pod costs the kernel to make. Most invocations of the hot commands are plain: known
 * options, each once, each with a plain value, and the right number of positionals. For those, this
 * module reads the command's options from its own yargs builder — run here against a recorder, not
 * yargs — and builds the same argv object yargs would, then calls the command's handler.
 *
 * Anything else is declined (`undefined`), and main.ts hands the arguments to yargs unchanged: help,
 * `--version`, an unknown or repeated option, a command's own option before the command (yargs
 * reads only the global ones there), `--opt=value`, grouped short options, a value
 * that starts with `-` or looks like a number (yargs would convert it), a value outside its
 * choices, a missing or extra positional, `--`. So every error, and every message of one, is still
 * yargs's and usage.ts's: the fast path only ever takes inputs that yargs would accept as they are.
 * test/unit/cli/fast-path.test.ts holds the two parsers side by side.
 */
import type { CommandModule } from 'yargs';
import { globalOptions } from './common.js';
import { nth } from '../checked.js';

/** An option as the builders declare it; a key not listed here makes the fast path decline. */
interface OptionSpec {
  type?: 'string' | 'boolean' | 'number';
  alias?: string;
  default?: unknown;
  choices?: readonly string[];
  array?: boolean;
  demandOption?: boolean;
  describe?: string;
  defaultDescription?: string;
}

const KNOWN_KEYS = new Set([
  'type',
  'alias',
  'default',
  'choices',
  'array',
  'demandOption',
  'describe',
  'defaultDescription',
]);

/** What a builder declared: its options by name and its positionals in order. */
export interface CommandShape {
  options: Map<string, OptionSpec>;
  /** the global options' names: the only ones yargs takes before the command's word */
  globals: Set<string>;
  positionals: { name: string; required: boolean; variadic: boolean }[];
}

class Declined extends Error {}

/**
 * A stand-in for yargs' `Argv` that records `option` and `positional` (and ignores what only the
 * help shows); any other method (`check`, `conflicts`, `middleware`, ...) declines.
 */
function recorder(shape: CommandShape): unknown {
  const record = (name: string, spec: OptionSpec) => {
    if (Object.keys(spec).some((k) => !KNOWN_KEYS.has(k))) throw new Declined();
    shape.options.set(name, spec);
  };
  const target = {
    option(name: string, spec: OptionSpec) {
      record(name, spec);
      return proxy;
    },
    positional(name: string, spec: OptionSpec) {
      if (Object.keys(spec).some((k) => !KNOWN_KEYS.has(k))) throw new Declined();
      const p = shape.positionals.find((x) => x.name === name);
      if (!p || spec.type !== 'string') throw new Declined();
      return proxy;
    },
    example: () => proxy,
    epilogue: () => proxy,
  };
  const proxy: unknown = new Proxy(target, {
    get: (t, key) => {
      if (typeof key === 'string' && key in t) return t[key as keyof typeof t];
      throw new Declined();
    },
  });
  return proxy;
}

/** `run [files..]` → its positionals. */
function positionalsOf(command: string): CommandShape['positionals'] {
  return command
    .split(' ')
    .slice(1)
    .map((word) => {
      const required = word.startsWith('<');
      const name = word.slice(1, -1);
      const variadic = name.endsWith('..');
      return { name: variadic ? name.slice(0, -2) : name, required, variadic };
    });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function shapeOf(command: CommandModule<any, any>): CommandShape | undefined {
  if (typeof command.command !== 'string' || typeof command.builder !== 'function') return undefined;
  const shape: CommandShape = { options: new Map(), globals: new Set(), positionals: positionalsOf(command.command) };
  try {
    globalOptions(recorder(shape) as never);
    for (const name of shape.options.keys()) shape.globals.add(name);
    (command.builder as (y: unknown) => unknown)(recorder(shape));
  } catch (err) {
    if (err instanceof Declined) return undefined;
    throw err;
  }
  return shape;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** yargs-parser reads these as numbers, or as the booleans' values: the fast path leaves them to it. */
const NUMBER_LIKE = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$|^0x[0-9a-f]+$/i;

function plainValue(v: string | undefined): v is string {
  return v !== undefined && v !== '' && !v.startsWith('-') && !NUMBER_LIKE.test(v) && v !== 'true' && v !== 'false';
}

function set(argv: Record<string, unknown>, name: string, spec: OptionSpec, value: unknown): void {
  for (const key of new Set([name, camel(name), ...(spec.alias ? [spec.alias, camel(spec.alias)] : [])]))
    argv[key] = value;
}

function optionValue(spec: OptionSpec, next: string | undefined): { value: unknown; used: number } {
  if (spec.type === 'boolean') {
    if (next === 'true' || next === 'false') throw new Declined();
    return { value: true, used: 0 };
  }
  if (spec.type === 'number') {
    if (next === undefined || !/^(0|-?[1-9]\d{0,8})$/.test(next)) throw new Declined();
    return { value: Number(next), used: 1 };
  }
  // An option with only `choices` is a string to yargs.
  if ((spec.type ?? (spec.choices && 'string')) !== 'string' || spec.array || !plainValue(next)) throw new Declined();
  if (spec.choices && !spec.choices.includes(next)) throw new Declined();
  return { value: next, used: 1 };
}

function withDefaults(argv: Record<string, unknown>, shape: CommandShape, given: Set<string>): void {
  for (const [name, spec] of shape.options) {
    if (given.has(name) || spec.default === undefined) continue;
    if (spec.choices && !spec.choices.includes(spec.default as string)) throw new Declined();
    set(argv, name, spec, spec.default);
  }
}

function assignPositionals(argv: Record<string, unknown>, shape: CommandShape, words: string[]): void {
  let i = 0;
  for (const p of shape.positionals) {
    if (p.variadic) {
      if (p.required && i >= words.length) throw new Declined();
      argv[p.name] = words.slice(i);
      i = words.length;
      continue;
    }
    if (i >= words.length) {
      if (p.required) throw new Declined();
      continue;
    }
    argv[p.name] = words[i++];
  }
  if (i < words.length) throw new Declined();
}

/**
 * The argv yargs would hand the handler of `word` for `args` (the whole command line, global
 * options included), or undefined when this parser leaves `args` to yargs.
 */
export function parseFast(
  args: readonly string[],
  word: string,
  shape: CommandShape,
): Record<string, unknown> | undefined {
  const byFlag = new Map<string, string>();
  for (const [name, spec] of shape.options) {
    byFlag.set(`--${name}`, name);
    if (spec.type === 'boolean') byFlag.set(`--no-${name}`, name);
    if (spec.alias) byFlag.set(`${spec.alias.length === 1 ? '-' : '--'}${spec.alias}`, name);
  }
  const argv: Record<string, unknown> = { _: [word] };
  const given = new Set<string>();
  const words: string[] = [];
  let seenCommand = false;
  try {
    for (let i = 0; i < args.length; i++) {
      const a = nth(args, i);
      if (a.startsWith('-')) {
        const name = byFlag.get(a);
        const spec = name === undefined ? undefined : shape.options.get(name);
        if (name === undefined || spec === undefined || given.has(name)) throw new Declined();
        // yargs reads the words before the command with the global options only ("Unknown argument").
        if (!seenCommand && !shape.globals.has(name)) throw new Declined();
        const negated = a === `--no-${name}`;
        const { value, used } = negated ? { value: false, used: 0 } : optionValue(spec, args[i + 1]);
        given.add(name);
        set(argv, name, spec, value);
        i += used;
      } else if (!seenCommand) {
        if (a !== word) throw new Declined();
        seenCommand = true;
      } else {
        if (NUMBER_LIKE.test(a) || a === '') throw new Declined();
        words.push(a);
      }
    }
    if (!seenCommand) throw new Declined();
    withDefaults(argv, shape, given);
    assignPositionals(argv, shape, words);
  } catch (err) {
    if (err instanceof Declined) return undefined;
    throw err;
  }
  argv.$0 = 'tspod';
  return argv;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loader = () => Promise<CommandModule<any, any>>;

/** The hot commands, each loaded alone (esbuild puts each in a chunk of its own). */
const HOT: Record<string, Loader> = {
  run: async () => (await import('./run.js')).runCommand,
  ps: async () => (await import('./ps.js')).psCommand,
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  logs: async () => (await import('./logs.js')).logsCommand,
};

/**
 * Runs `args` through the fast path when it can: true when the command's handler ran (its errors
 * propagate, as they do from yargs' parseAsync), false when yargs must parse `args`.
 */
export async function runFast(args: readonly string[], words: readonly string[]): Promise<boolean> {
  const word = words[0];
  const load = word !== undefined && Object.hasOwn(HOT, word) ? HOT[word] : undefined;
  if (words.length !== 1 || word === undefined || load === undefined) return false;
  if (args.includes('--') || args.some((a) => /^-[^-]./.test(a) || a.includes('='))) return false;
  const command = await load();
  const shape = shapeOf(command);
  const argv = shape && parseFast(args, word, shape);
  if (!argv || typeof command.handler !== 'function') return false;
  await command.handler(argv as never);
  return true;
}
