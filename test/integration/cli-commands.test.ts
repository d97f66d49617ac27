/**
 * The command line as a kubectl or podman user types it (issue 19), mistakes included: help and
 * version, usage errors that name what is missing, a missing manifest, `exec POD ls -la /` and
 * exec's -e/-u/-w checked from inside the container, `rm` and `stop` over several pods carrying on
 * past a pod that fails. Each checks the words on stdout/stderr and the exit status.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, tspod, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('cli');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const sleeper = (name: string, grace = 1) =>
  pod(name, {
    terminationGracePeriodSeconds: grace,
    containers: [busybox('main', 'trap "exit 0" TERM; while true; do sleep 0.1; done', { workingDir: '/etc' })],
  });

async function runDetached(...manifests: object[]): Promise<void> {
  for (const m of manifests) {
    const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(m));
    expect(res.code, res.stderr).toBe(0);
  }
}

describe('help and version', () => {
  test.each([[[]], [['-h']], [['--help']]])('tspod %j prints the help on stdout, status 0', async (args) => {
    const res = await tspod(roots, args);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^Usage: tspod <command> \[options\]/);
    expect(res.stdout).toMatch(/tspod ps\s+List pods/);
    expect(res.stdout).toMatch(/Exit status:/);
  });

  test('each command has examples; -h is --help', async () => {
    for (const cmd of ['run', 'ps', 'inspect', 'logs', 'exec', 'stop', 'rm', 'events', 'ns', 'gc']) {
      const res = await tspod(roots, [cmd, '-h']);
      expect(res.code, cmd).toBe(0);
      expect(res.stdout, cmd).toMatch(new RegExp(`^Examples:\\n  tspod ${cmd} `, 'm'));
      expect(res.stdout, cmd).not.toMatch(/--version/);
    }
  });

  test('--version only at the top, as "tspod version X"', async () => {
    const res = await tspod(roots, ['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^tspod version \d+\.\d+\.\d+( \(commit [0-9a-f]{7}\))?\n$/);
    const sub = await tspod(roots, ['ps', '--version']);
    expect(sub.code).toBe(125);
    expect(sub.stderr.split('\n')[0]).toBe('tspod: error: unknown option --version');
  });
});

describe('usage errors: one line naming the mistake, the usage line, where the help is; status 125', () => {
  test.each([
    [['logs'], 'tspod: error: POD is required', 'Usage: tspod logs POD'],
    [['inspect'], 'tspod: error: POD is required', 'Usage: tspod inspect POD'],
    [['rm'], 'tspod: error: POD is required (or --all)', 'Usage: tspod rm POD...'],
    [['stop'], 'tspod: error: POD is required (or --all)', 'Usage: tspod stop POD...'],
    [['exec', 'web'], 'tspod: error: COMMAND is required', 'Usage: tspod exec POD'],
    [['ps', '--bogus'], 'tspod: error: unknown option --bogus', 'Usage: tspod ps'],
    [['frobnicate'], 'tspod: error: unknown command "frobnicate"', 'See "tspod --help" for the commands.'],
    [
      ['exec', 'web', '-x', '--', 'ls'],
      'tspod: error: unknown option -x for exec: put the command and its arguments after "--"',
      'Usage: tspod exec POD',
    ],
  ])('tspod %j', async (args, first, second) => {
    const res = await tspod(roots, args);
    expect(res.code).toBe(125);
    expect(res.stdout).toBe('');
    const lines = res.stderr.split('\n');
    expect(lines[0]).toBe(first);
    expect(lines[1].startsWith(second), lines[1]).toBe(true);
    expect(res.stderr).not.toMatch(/tspod: tspod:|non-option arguments|Unknown argument/);
  });

  test('a missing manifest: one line, the path once', async () => {
    const res = await tspod(roots, ['run', '/nonexistent/pod.yaml']);
    expect(res.code).toBe(125);
    expect(res.stderr).toBe('tspod: cannot read /nonexistent/pod.yaml: ENOENT (no such file or directory)\n');
  });
});

describe('exec as podman users type it', () => {
  test('exec POD ls -la / runs ls with its options; -e, -u, -w seen from inside', async () => {
    await runDetached(sleeper('web'));
    const ls = await tspod(roots, ['exec', 'web', 'ls', '-la', '/']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^d.* proc$/m);
    expect(ls.stdout).toMatch(/ \.\.?$/m);
    const opts = await tspod(roots, [
      'exec',
      '-e',
      'GREETING=hi there',
      '-e',
      'HOME=/nowhere',
      '-u',
      '1234:4321',
      '-w',
      '/tmp',
      'web',
      'sh',
      '-c',
      'echo "$GREETING|$HOME|$(id -u):$(id -g)|$(pwd)"',
    ]);
    expect(opts.code, opts.stderr).toBe(0);
    expect(opts.stdout).toBe('hi there|/nowhere|1234:4321|/tmp\n');
    // Without them, the container's own: root, its working directory.
    const plain = await tspod(roots, ['exec', 'web', '--', 'sh', '-c', 'echo "$(id -u)|$(pwd)"']);
    expect(plain.stdout).toBe('0|/etc\n');
    const status = await tspod(roots, ['exec', 'web', 'sh', '-c', 'exit 7']);
    expect(status.code).toBe(7);
    const bad = await tspod(roots, ['exec', '-u', 'root', 'web', 'id']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/^tspod: error: -u "root": expected a numeric UID/);
    const rel = await tspod(roots, ['exec', '-w', 'tmp', 'web', 'pwd']);
    expect(rel.code).toBe(125);
    expect(rel.stderr).toMatch(/must be an absolute path/);
  });
});

describe('rm and stop over several pods', () => {
  test('stop a b nosuch: a and b stop, nosuch is reported, status 125; rm carries on the same way', async () => {
    await runDetached(sleeper('a'), sleeper('b'));
    const states = [readState(roots, 'a'), readState(roots, 'b')];
    const stop = await tspod(roots, ['stop', 'a', 'nosuch', 'b']);
    expect(stop.code).toBe(125);
    expect(stop.stdout).toBe('a\nb\n');
    expect(stop.stderr).toBe('tspod: pod "nosuch" not found (see "tspod ps -a")\n');
    expect([readState(roots, 'a').tornDown, readState(roots, 'b').tornDown]).toEqual([true, true]);
    const rm = await tspod(roots, ['rm', 'nosuch', 'a', 'b']);
    expect(rm.code).toBe(125);
    expect(rm.stdout).toBe('a\nb\n');
    expect(rm.stderr).toBe('tspod: pod "nosuch" not found (see "tspod ps -a")\n');
    await expectNothingLeft(roots, states);
  });

  test('stop --all and rm --all', async () => {
    await runDetached(sleeper('x'), sleeper('y'));
    const states = [readState(roots, 'x'), readState(roots, 'y')];
    const rmRunning = await tspod(roots, ['rm', '--all']);
    expect(rmRunning.code).toBe(125);
    expect(rmRunning.stderr).toMatch(/pod "x" is running: stop it first/);
    const stop = await tspod(roots, ['stop', '--all']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout.split('\n').filter(Boolean).sort()).toEqual(['x', 'y']);
    const rm = await tspod(roots, ['rm', '--all']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout.split('\n').filter(Boolean).sort()).toEqual(['x', 'y']);
    await expectNothingLeft(roots, states);
    const both = await tspod(roots, ['rm', '--all', 'x']);
    expect(both.code).toBe(125);
    expect(both.stderr.split('\n')[0]).toBe('tspod: error: give pod names or --all, not both');
  });
});
