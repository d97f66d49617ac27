import { describe, expect, test } from 'vitest';
import { attachTarget } from '../../../src/attach/run-attached.js';
import { pod } from '../plan/fixtures.js';

describe('run -i/-t: the container to attach to', () => {
  const p = pod({
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [{ name: 'web', image: 'busybox' }, { name: 'shell', image: 'busybox', stdin: true, tty: true }, { name: 'cat', image: 'busybox', stdin: true }],
  });

  test('the first container with stdin, or the one -c names', () => {
    expect(attachTarget(p, { stdin: true, tty: true }).name).toBe('shell');
    expect(attachTarget(p, { container: 'cat', stdin: true, tty: false }).name).toBe('cat');
  });

  test('refused, naming why: no such container, no stdin', () => {
    expect(() => attachTarget(p, { container: 'nope', stdin: true, tty: false })).toThrow('-c nope: pod "web" has no such container (it has init, web, shell, cat)');
    expect(() => attachTarget(p, { container: 'web', stdin: true, tty: false })).toThrow('cannot attach stdin: container "web" of pod "web" does not have stdin: true');
    expect(() => attachTarget(pod({ containers: [{ name: 'web', image: 'busybox' }] }), { stdin: true, tty: false })).toThrow(/^-i: no container of pod "web" has stdin: true/);
  });
});
