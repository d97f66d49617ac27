import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { execArgs } from '../../../src/cli/exec-args.js';
import { parseEnv, parseUser } from '../../../src/cli/exec.js';
import { commandWords, usageError, usageLine } from '../../../src/cli/usage.js';
import { headCommit, versionLine } from '../../../src/cli/version.js';
import { withOverrides } from '../../../src/exec/session.js';

describe('the command typed, from the raw arguments', () => {
  test.each([
    [['logs', 'web'], ['logs']],
    [['--root', '/r', 'ps', '-a'], ['ps']],
    [
      ['--log-level', 'debug', 'image', 'ls'],
      ['image', 'ls'],
    ],
    [['image'], ['image']],
    [['-h'], []],
    [['exec', 'web', '--', 'ls'], ['exec']],
  ])('%j → %j', (args, words) => {
    expect(commandWords(args)).toEqual(words);
  });
});

describe('usage errors, as kubectl and podman word them', () => {
  test('a missing positional is named, with the usage line and where the help is', () => {
    const e = usageError('Not enough non-option arguments: got 0, need at least 1', ['logs'], ['logs'], 'logs <pod>');
    expect(e.status).toBe(125);
    expect(e.message).toBe('error: POD is required');
    expect(e.hint).toEqual(['Usage: tspod logs POD [options]', 'See "tspod logs --help" for help and examples.']);
  });

  test('the second of two missing positionals', () => {
    expect(
      usageError(
        'Not enough non-option arguments: got 1, need at least 2',
        [],
        ['image', 'tag'],
        'tag <source> <target>',
      ).message,
    ).toBe('error: TARGET is required');
  });

  test('unknown options are shown as typed; a stray word is an unexpected argument', () => {
    expect(usageError('Unknown arguments: l, a', ['ps', '-la'], ['ps'], 'ps').message).toBe(
      'error: unknown options -l, -a',
    );
    expect(usageError('Unknown argument: bogus', ['ps', '--bogus'], ['ps'], 'ps').message).toBe(
      'error: unknown option --bogus',
    );
    expect(usageError('Unknown argument: extra', ['logs', 'web', 'extra'], ['logs'], 'logs <pod>').message).toBe(
      'error: unexpected argument "extra"',
    );
  });

  test('exec: the hint to put the command after --', () => {
    const e = usageError('Unknown arguments: x', ['exec', 'web', '-x', 'ls'], ['exec'], 'exec <pod> [command..]');
    expect(e.message).toMatch(/unknown option -x for exec: put the command and its arguments after "--"/);
    expect(e.hint[0]).toMatch(/^Usage: tspod exec POD .* -- COMMAND \[ARG\.\.\.\]$/);
  });

  test('usage lines', () => {
    expect(usageLine(['exec'], 'exec <pod> [command..]')).toBe('tspod exec POD [COMMAND...] [options]');
    expect(usageLine(['image', 'rm'], 'rm <names..>')).toBe('tspod image rm NAMES... [options]');
  });
});

describe('exec: the command starts at the first word after the pod', () => {
  test.each([
    [
      ['exec', 'web', 'ls', '-la', '/'],
      ['exec', 'web', '--', 'ls', '-la', '/'],
    ],
    [
      ['exec', '-c', 'side', 'web', 'ls', '-l'],
      ['exec', '-c', 'side', 'web', '--', 'ls', '-l'],
    ],
    [
      ['exec', 'web', '-c', 'side', '-it', 'sh'],
      ['exec', 'web', '-c', 'side', '-it', '--', 'sh'],
    ],
    [
      ['--root', '/r', 'exec', '-e', 'A=1', 'web', 'env'],
      ['--root', '/r', 'exec', '-e', 'A=1', 'web', '--', 'env'],
    ],
    [
      ['exec', 'web', '--', 'ls', '-l'],
      ['exec', 'web', '--', 'ls', '-l'],
    ],
    [
      ['exec', 'web'],
      ['exec', 'web'],
    ],
    [
      ['logs', 'web', 'x'],
      ['logs', 'web', 'x'],
    ],
  ])('%j → %j', (args, out) => {
    expect(execArgs(args)).toEqual(out);
  });

  test('-e NAME=VALUE and -u UID[:GID] are checked', () => {
    expect(parseEnv(['A=1', 'B=x=y', 'C='])).toEqual(['A=1', 'B=x=y', 'C=']);
    expect(() => parseEnv('NOEQUALS')).toThrow(/-e "NOEQUALS": expected NAME=VALUE/);
    expect(() => parseEnv('=x')).toThrow(/expected NAME=VALUE/);
    expect(parseUser('1000')).toEqual({ uid: 1000 });
    expect(parseUser('1000:100')).toEqual({ uid: 1000, gid: 100 });
    expect(() => parseUser('nobody')).toThrow(/numeric UID/);
    expect(() => parseUser('4294967295')).toThrow(/numeric UID/);
  });

  test('the overrides replace what the container has, and keep the rest', () => {
    const ctx = {
      env: ['PATH=/bin', 'A=old'],
      workingDir: '/srv',
      user: { uid: 5, gid: 6, groups: [7] },
      capabilities: [],
      noNewPrivs: true,
      cgroupProcs: [],
    };
    expect(withOverrides(ctx, {})).toEqual(ctx);
    const o = withOverrides(ctx, { env: ['A=new', 'B=1'], user: { uid: 1000 }, workdir: '/tmp' });
    expect(o.env).toEqual(['PATH=/bin', 'A=new', 'B=1']);
    expect(o.user).toEqual({ uid: 1000, gid: 0, groups: [] });
    expect(o.workingDir).toBe('/tmp');
    expect(withOverrides(ctx, { user: { uid: 5 } }).user).toEqual({ uid: 5, gid: 6, groups: [] });
  });
});

describe('the version line', () => {
  test('the package version and the commit of HEAD, read through a worktree link and packed-refs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-version-'));
    const id = 'a'.repeat(7) + 'b'.repeat(33);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"version": "9.8.7"}');
    expect(versionLine(dir)).toBe('tspod version 9.8.7');
    fs.mkdirSync(path.join(dir, 'common'));
    fs.mkdirSync(path.join(dir, 'common/worktrees/w'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.git'), 'gitdir: common/worktrees/w\n');
    fs.writeFileSync(path.join(dir, 'common/worktrees/w/HEAD'), 'ref: refs/heads/w\n');
    fs.writeFileSync(path.join(dir, 'common/worktrees/w/commondir'), '../..\n');
    fs.writeFileSync(path.join(dir, 'common/packed-refs'), `# pack-refs\n${id} refs/heads/w\n`);
    expect(headCommit(dir)).toBe('aaaaaaa');
    expect(versionLine(dir)).toBe('tspod version 9.8.7 (commit aaaaaaa)');
    fs.rmSync(dir, { recursive: true });
  });
});
