import { describe, expect, test } from 'vitest';
import { containerPlan } from '../../../src/plan/container.js';
import { containerInput } from '../../../src/plan/pod-inputs.js';
import { toNativePlan } from '../../../src/runtime/execute.js';
import type { Plan } from '../../../src/plan/types.js';
import type { Pod } from '../../../src/manifest/types.js';
import { image, layout, pod, proc } from './fixtures.js';

function plan(p: Pod): Plan {
  const l = layout(p.metadata.name);
  const c = p.spec.containers[0];
  return containerPlan(
    containerInput(p, l, c, {
      image,
      process: proc,
      instance: l.instance(c.name, 0),
      terminationLog: l.terminationLog(c.name, 0),
      cgroupProcs: [],
    }),
  );
}

const ops = (p: Plan) => p.ops.map((o) => o.op);

describe('tty: true in the container plan', () => {
  test("the terminal is opened after pivot_root (from the container's devpts) and before setsid makes it the controlling terminal", () => {
    const p = plan(pod({ containers: [{ name: 'sh', image: 'busybox', tty: true, stdin: true }] }));
    const o = ops(p);
    expect(o.filter((x) => x === 'console')).toHaveLength(1);
    expect(o.indexOf('pivotRoot')).toBeLessThan(o.indexOf('console'));
    expect(p.ops.findIndex((x) => x.op === 'mountFs' && x.target === '/dev/pts')).toBeLessThan(o.indexOf('console'));
    expect(o.indexOf('console')).toBeLessThan(o.indexOf('setsid'));
    expect(o.indexOf('console')).toBeLessThan(o.indexOf('credentials'));
    expect(p.ops.find((x) => x.op === 'setsid')).toMatchObject({ fd: 0 });
    // TERM as containerd sets it for a tty
    expect(p.ops.find((x) => x.op === 'exec')).toMatchObject({ env: expect.arrayContaining(['TERM=xterm']) });
  });

  test("a TERM of the container's own is kept", () => {
    const p = containerPlan(
      containerInput(
        pod({ containers: [{ name: 'sh', image: 'busybox', tty: true }] }),
        layout('p'),
        pod({ containers: [{ name: 'sh', image: 'busybox', tty: true }] }).spec.containers[0],
        {
          image,
          process: { ...proc, env: [...proc.env, 'TERM=vt100'] },
          instance: layout('p').instance('sh', 0),
          terminationLog: layout('p').terminationLog('sh', 0),
          cgroupProcs: [],
        },
      ),
    );
    const env = (p.ops.find((x) => x.op === 'exec') as { env: string[] }).env;
    expect(env.filter((e) => e.startsWith('TERM='))).toEqual(['TERM=vt100']);
  });

  test('without tty: no terminal, a session without a controlling terminal, no TERM added', () => {
    const p = plan(pod({ containers: [{ name: 'c', image: 'busybox', stdin: true }] }));
    expect(ops(p)).not.toContain('console');
    expect(p.ops.find((x) => x.op === 'setsid')).not.toHaveProperty('fd');
    expect((p.ops.find((x) => x.op === 'exec') as { env: string[] }).env.some((e) => e.startsWith('TERM='))).toBe(
      false,
    );
  });

  test('the console step gets the console socket when the plan is executed, and cannot run without one', () => {
    const p = plan(pod({ containers: [{ name: 'sh', image: 'busybox', tty: true }] }));
    const native = toNativePlan(p, { stdio: [0, 1, 2], infraPidfd: 7, consoleSocket: 42 });
    expect(native.ops.find((x) => x.op === 'console')).toEqual({ op: 'console', fd: 42 });
    expect(() => toNativePlan(p, { stdio: [0, 1, 2], infraPidfd: 7 })).toThrow('plan step console: no console socket');
  });
});
