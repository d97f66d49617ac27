import fc from 'fast-check';
import yargs from 'yargs';
import { describe, expect, test } from 'vitest';
import { globalOptions } from '../../../src/cli/common.js';
import { parseFast, shapeOf } from '../../../src/cli/fast-path.js';
import { inspectCommand } from '../../../src/cli/inspect.js';
import { logsCommand } from '../../../src/cli/logs.js';
import { psCommand } from '../../../src/cli/ps.js';
import { runCommand } from '../../../src/cli/run.js';

const COMMANDS = { run: runCommand, ps: psCommand, inspect: inspectCommand, logs: logsCommand };
type Word = keyof typeof COMMANDS;

/** What yargs, configured as parser.ts configures it, hands the handler (or the error it fails with). */
async function viaYargs(args: string[], word: Word): Promise<Record<string, unknown> | { error: string }> {
  let seen: Record<string, unknown> | undefined;
  const command = { ...COMMANDS[word], handler: (a: Record<string, unknown>) => void (seen = a) };
  try {
    await globalOptions(yargs(args))
      .scriptName('tspod')
      .version(false)
      .option('version', { type: 'boolean', global: false })
      .help('help')
      .alias('help', 'h')
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .command(command as never)
      .parseAsync();
  } catch (err) {
    return { error: (err as Error).message };
  }
  return seen ?? { error: 'no handler ran' };
}

const TAKEN: [Word, string[]][] = [
  ['run', ['run', '--network', 'none', '/dev/stdin']],
  ['run', ['run', 'a.yaml', 'b.yaml', '-d']],
  ['run', ['run']],
  ['run', ['--root', '/r', '--run-root', '/rr', 'run', '--dry-run', '--json', '--uid', 'u-1', 'pod.json']],
  ['run', ['--log-level', 'debug', 'run', '--pull', 'never', '-f', 'x.yaml', '--keep', 'p.yaml']],
  ['run', ['run', '-i', '-t', '-c', 'shell', '-q', 'p.yaml']],
  ['run', ['run', '--configmap', 'cm.yaml', '--secret', 's.yaml', '--ignore-unsupported', '--explain', 'p.yaml']],
  ['ps', ['ps']],
  ['ps', ['ps', '-a', '-o', 'wide', '--no-headers']],
  ['ps', ['ps', '-a', '-o', 'json', '-l', 'app=web']],
  ['ps', ['ps', '--json', '-q']],
  ['run', ['run', '--no-keep', '--no-detach', 'p.yaml']],
  ['inspect', ['inspect', 'web']],
  ['inspect', ['inspect', '-o', 'yaml', 'web', 'db']],
  ['logs', ['logs', 'web']],
  ['logs', ['logs', '-f', '--tail', '10', 'web', '-c', 'app']],
  ['logs', ['logs', '--all-containers', '--prefix', '--since', '5m', 'web']],
  ['logs', ['logs', '--tail', '-1', 'web']],
  ['logs', ['logs', '--tail', '0', 'web']],
  ['logs', ['logs', '-p', '--timestamps', '--since-time', '2026-12-02T01:00:00Z', 'web']],
];

const LEFT: [Word, string[]][] = [
  ['run', ['run', '--help']],
  ['run', ['run', '-h']],
  ['run', ['run', '--version']],
  ['run', ['run', '--bogus', 'p.yaml']],
  ['run', ['run', '--network=none', 'p.yaml']],
  ['run', ['run', '-it', 'p.yaml']],
  ['run', ['run', '-f', 'a.yaml', '-f', 'b.yaml']],
  ['run', ['run', '--keep', 'false', 'p.yaml']],
  ['run', ['run', '--pull', 'sometimes', 'p.yaml']],
  ['run', ['run', '--network']],
  ['run', ['run', '123']],
  ['run', ['run', 'p.yaml', '--', 'x']],
  ['run', ['--log-level', 'loud', 'run', 'p.yaml']],
  ['ps', ['ps', 'extra']],
  ['ps', ['ps', '--headers', '--no-headers']],
  ['ps', ['ps', '--no-output', 'json']],
  ['inspect', ['inspect']],
  ['inspect', ['inspect', '-o', 'toml', 'web']],
  ['logs', ['logs']],
  ['logs', ['logs', 'web', 'app']],
  ['logs', ['logs', '--tail', '-x', 'web']],
  ['logs', ['logs', '--tail', '1.5', 'web']],
  ['logs', ['logs', '-c', '-x', 'web']],
  // A command's own option before the command's word: yargs refuses it ("Unknown argument").
  ['run', ['-d', 'run', 'p.yaml']],
  ['run', ['--keep', 'run', 'p.yaml']],
  ['ps', ['--headers', 'ps']],
  ['logs', ['--timestamps', 'logs', 'web']],
];

describe('the fast path takes plain invocations and hands the handler what yargs would', () => {
  test.each(TAKEN)('%s %j', async (word, args) => {
    const shape = shapeOf(COMMANDS[word]);
    expect(shape).toBeDefined();
    const fast = parseFast(args, word, shape!);
    expect(fast).toBeDefined();
    expect(fast).toEqual(await viaYargs(args, word));
  });
});

describe('it leaves everything else to yargs, which reports the errors', () => {
  test.each(LEFT)('%s %j', (word, args) => {
    expect(parseFast(args, word, shapeOf(COMMANDS[word])!)).toBeUndefined();
  });
});

describe('whatever the fast path takes, yargs takes and reads the same', () => {
  const FLAGS = [
    '--root',
    '--run-root',
    '--log-level',
    '-f',
    '--file',
    '--configmap',
    '--dry-run',
    '--no-dry-run',
    '--json',
    '--uid',
    '--network',
    '-d',
    '--wait',
    '--no-keep',
    '--pull',
    '-i',
    '-t',
    '-c',
    '-q',
    '-a',
    '-o',
    '--no-headers',
    '--headers',
    '-l',
    '--container',
    '--all-containers',
    '-p',
    '--timestamps',
    '--tail',
    '--since',
    '--prefix',
    '-it',
    '-5',
    '-1',
  ];
  const VALUES = [
    'p.yaml',
    'web',
    '/dev/stdin',
    'json',
    'yaml',
    'wide',
    'none',
    'never',
    'debug',
    '5',
    '-5',
    '-1',
    '0',
    '010',
    '1.5',
    '.5',
    '+5',
    '1e3',
    'true',
    'false',
    'yes',
    'null',
    'NaN',
    'Infinity',
    '__proto__',
    'ü',
    'a b',
    '0x10',
    ' 5',
    'run',
    'ps',
    'logs',
    '9007199254740993',
    '999999999',
  ];
  const token = fc.constantFrom(...FLAGS, ...VALUES);
  const pair = fc.tuple(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES));
  const globals = fc.array(
    fc.tuple(fc.constantFrom('--root', '--run-root', '--log-level'), fc.constantFrom(...VALUES)),
    { maxLength: 2 },
  );
  const rest = fc.array(
    fc.oneof(
      pair,
      token.map((t) => [t]),
    ),
    { maxLength: 7 },
  );
  test.each(Object.keys(COMMANDS) as Word[])('%s: generated command lines', async (word) => {
    const shape = shapeOf(COMMANDS[word])!;
    await fc.assert(
      fc.asyncProperty(globals, fc.array(token, { maxLength: 2 }), rest, async (before, beforeWord, after) => {
        const args = [...before.flat(), ...beforeWord, word, ...after.flat()];
        const fast = parseFast(args, word, shape);
        if (fast !== undefined) expect(fast).toEqual(await viaYargs(args, word));
      }),
      { numRuns: 1500 },
    );
  });
});

test('a builder that calls what the recorder does not know is left to yargs', () => {
  const command = {
    command: 'x',
    describe: 'x',
    builder: (y: { check(f: unknown): unknown }) => y.check(() => true),
    handler: () => {},
  };
  expect(shapeOf(command as never)).toBeUndefined();
});
