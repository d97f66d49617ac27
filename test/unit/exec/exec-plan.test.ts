import { describe, expect, test } from 'vitest';
import { EXEC_NAMESPACES, execPlan, execTarget } from '../../../src/plan/exec.js';
import { toNativePlan } from '../../../src/runtime/execute.js';
import type { ExecContext } from '../../../src/state/types.js';

const ctx: ExecContext = {
  env: ['PATH=/usr/bin:/bin', 'FOO=bar', 'HOSTNAME=web'],
  workingDir: '/srv',
  capabilities: ['CAP_CHOWN', 'CAP_KILL'],
  noNewPrivs: false,
  cgroupProcs: ['/sys/fs/cgroup/unified/tspod/u/a-0/cgroup.procs', '/sys/fs/cgroup/memory/tspod/u/a-0/cgroup.procs'],
};

const ops = (p: ReturnType<typeof execPlan>) => p.ops.map((o) => o.op);

describe('exec plan', () => {
  test('creates no namespace: joins the cgroup, then every namespace of the container, then forks', () => {
    const plan = execPlan({ container: 'a', context: ctx, argv: ['ls', '-l'], tty: false });
    expect(plan.clone).toEqual([]);
    expect(ops(plan)).toEqual([
      'writeFile',
      'writeFile',
      'setns',
      'fork',
      'openRoot',
      'chdir',
      'sessionKeyring',
      'setsid',
      'closeFds',
      'credentials',
      'exec',
    ]);
    expect(plan.ops.slice(0, 2)).toMatchObject(
      ctx.cgroupProcs.map((target) => ({ op: 'writeFile', target, data: '0' })),
    );
    expect(plan.ops[2]).toMatchObject({
      op: 'setns',
      target: 'container:a',
      ns: ['cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt'],
    });
  });

  test('the cgroup is joined before the cgroup namespace, and the fork follows the PID namespace', () => {
    const plan = execPlan({ container: 'a', context: ctx, argv: ['true'], tty: false });
    const i = (name: string) => plan.ops.findIndex((o) => o.op === name);
    expect(plan.ops.findLastIndex((o) => o.op === 'writeFile')).toBeLessThan(i('setns'));
    expect(i('setns')).toBeLessThan(i('fork'));
    expect(i('fork')).toBeLessThan(i('chdir'));
    expect(i('openRoot')).toBeLessThan(i('chdir'));
    expect(i('credentials')).toBe(plan.ops.length - 2);
    expect(EXEC_NAMESPACES).not.toContain('user');
  });

  test("the working directory is not created, the env and PATH are the container's", () => {
    const plan = execPlan({ container: 'a', context: ctx, argv: ['ls', '-l'], tty: false });
    expect(plan.ops.find((o) => o.op === 'chdir')).toEqual(expect.objectContaining({ target: '/srv' }));
    expect(plan.ops.find((o) => o.op === 'chdir')).not.toHaveProperty('create');
    expect(plan.ops.at(-1)).toMatchObject({
      op: 'exec',
      target: 'ls',
      argv: ['ls', '-l'],
      env: ctx.env,
      searchPath: '/usr/bin:/bin',
    });
  });

  test('root keeps the container capabilities; another user only the bounding set', () => {
    const root = execPlan({ container: 'a', context: ctx, argv: ['id'], tty: false }).ops.find(
      (o) => o.op === 'credentials',
    );
    expect(root).toMatchObject({
      bounding: ctx.capabilities,
      effective: ctx.capabilities,
      permitted: ctx.capabilities,
      inheritable: [],
    });
    expect(root).not.toHaveProperty('uid');
    const user = { ...ctx, user: { uid: 1000, gid: 100, groups: [100, 5] } };
    const other = execPlan({ container: 'a', context: user, argv: ['id'], tty: false }).ops.find(
      (o) => o.op === 'credentials',
    );
    expect(other).toMatchObject({
      uid: 1000,
      gid: 100,
      groups: [100, 5],
      bounding: ctx.capabilities,
      effective: [],
      permitted: [],
    });
  });

  test('no_new_privs when the container had it, just before exec', () => {
    const plan = execPlan({ container: 'a', context: { ...ctx, noNewPrivs: true }, argv: ['id'], tty: false });
    expect(ops(plan).slice(-3)).toEqual(['credentials', 'noNewPrivs', 'exec']);
  });

  test('-t: a new session with the terminal on stdin, and TERM when the container has none', () => {
    const plan = execPlan({ container: 'a', context: ctx, argv: ['sh'], tty: true });
    expect(plan.ops.find((o) => o.op === 'setsid')).toMatchObject({ fd: 0 });
    expect(ops(plan).indexOf('setsid')).toBeLessThan(ops(plan).indexOf('closeFds'));
    expect(plan.ops.at(-1)).toMatchObject({ env: [...ctx.env, 'TERM=xterm'] });
    const withTerm = execPlan({ container: 'a', context: { ...ctx, env: ['TERM=vt100'] }, argv: ['sh'], tty: true });
    expect(withTerm.ops.at(-1)).toMatchObject({ env: ['TERM=vt100'] });
  });

  test('without -t: a new session with no controlling terminal, and a fresh session keyring, before the credentials', () => {
    const plan = execPlan({ container: 'a', context: ctx, argv: ['sh'], tty: false });
    const setsid = plan.ops.find((o) => o.op === 'setsid');
    expect(setsid).toBeDefined();
    expect(setsid).not.toHaveProperty('fd');
    expect(ops(plan).indexOf('sessionKeyring')).toBeLessThan(ops(plan).indexOf('credentials'));
  });

  test('an empty command is refused', () => {
    expect(() => execPlan({ container: 'a', context: ctx, argv: [], tty: false })).toThrow(/no command/);
  });

  test('the addon gets the container pidfd for the setns step and capability numbers', () => {
    const plan = execPlan({ container: 'infra', context: ctx, argv: ['true'], tty: false });
    const native = toNativePlan(plan, { infraPidfd: 3, pidfds: { [execTarget('infra')]: 42 }, stdio: [0, 1, 2] });
    expect(native.ops.find((o) => o.op === 'setns')).toMatchObject({ fd: 42 });
    expect(native.ops.find((o) => o.op === 'credentials')).toMatchObject({ bounding: [0, 5] });
    expect(native.ops.every((o) => !('why' in o))).toBe(true);
  });
});
