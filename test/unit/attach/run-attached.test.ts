import { describe, expect, test } from 'vitest';
import { attachFlagsProblem, attachTarget } from '../../../src/attach/run-attached.js';
import { pod } from '../plan/fixtures.js';

describe('run -i/-t: the container to attach to', () => {
  const p = pod({
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [
      { name: 'web', image: 'busybox' },
      { name: 'shell', image: 'busybox', stdin: true, tty: true },
      { name: 'cat', image: 'busybox', stdin: true },
    ],
  });

  test('the first container with stdin, or the one -c names', () => {
    expect(attachTarget(p, { stdin: true, tty: true }).name).toBe('shell');
    expect(attachTarget(p, { container: 'cat', stdin: true, tty: false }).name).toBe('cat');
  });

  test('refused, naming why: no such container, no stdin', () => {
    expect(() => attachTarget(p, { container: 'nope', stdin: true, tty: false })).toThrow(
      '-c nope: pod "web" has no such container (it has init, web, shell, cat)',
    );
    expect(() => attachTarget(p, { container: 'web', stdin: true, tty: false })).toThrow(
      'cannot attach stdin: container "web" of pod "web" does not have stdin: true',
    );
    expect(() =>
      attachTarget(pod({ containers: [{ name: 'web', image: 'busybox' }] }), { stdin: true, tty: false }),
    ).toThrow(/^-i: no container of pod "web" has stdin: true/);
  });
});

describe('run -i/-t/-c with the other options', () => {
  const one = { pods: 1, workloads: 0 };
  const f = (o: Partial<Parameters<typeof attachFlagsProblem>[0]>) => ({
    stdin: false,
    tty: false,
    detach: false,
    dryRun: false,
    ...o,
  });

  test('a foreground run of one pod may attach', () => {
    expect(attachFlagsProblem(f({ stdin: true, tty: true }), one)).toBeUndefined();
    expect(attachFlagsProblem(f({ tty: true, container: 'sh' }), one)).toBeUndefined();
    expect(attachFlagsProblem(f({}), { pods: 3, workloads: 1 })).toBeUndefined();
  });

  test('refused, naming why', () => {
    expect(attachFlagsProblem(f({ stdin: true, detach: true }), one)).toBe(
      '-i/-t attach this terminal to a foreground run; not with -d (attach later: tspod attach POD -i -t)',
    );
    expect(attachFlagsProblem(f({ tty: true, dryRun: true }), one)).toBe(
      '-i/-t attach this terminal to a foreground run; not with --dry-run',
    );
    expect(attachFlagsProblem(f({ container: 'sh' }), one)).toBe(
      '-c names the container to attach to: it needs -i or -t',
    );
    expect(attachFlagsProblem(f({ stdin: true }), { pods: 2, workloads: 0 })).toBe(
      '-i/-t attach this terminal to one pod: these files make several',
    );
    expect(attachFlagsProblem(f({ stdin: true }), { pods: 1, workloads: 1 })).toBe(
      '-i/-t attach this terminal to one pod: these files make several',
    );
  });
});
