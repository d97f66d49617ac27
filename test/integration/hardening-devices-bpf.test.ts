/**
 * The cgroup v2 device program (device-bpf.ts, native/bpf.cc) on the real kernel.
 *
 * This host is hybrid: its device policy for pods is the v1 controller, and its cgroup2 mount has
 * no controllers. Device programs attach to any cgroup2 directory regardless of controllers, so
 * the test makes a cgroup of its own there, attaches the pods' policy to it, moves a shell into it
 * and tries, from that shell, what a hostile container would: open the kernel log, make a node for
 * it and open that. The same script outside the cgroup is the control (it must succeed), so the
 * test fails if the program does nothing. The cgroup is removed at the end, and that is checked.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { attachDevicePolicy } from '../../src/cgroups/cgroups.js';
import { DEFAULT_DEVICE_RULES } from '../../src/cgroups/devices.js';
import { native } from '../../src/native.js';
import { newRoots, removeRoots, type TestRoots } from './helpers.js';

const UNIFIED = '/sys/fs/cgroup/unified';
let roots: TestRoots;
let cgroup: string;

beforeAll(() => {
  // A cgroup2 mount is what this test is about: missing, it fails (never skips).
  expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toMatch(new RegExp(` ${UNIFIED} .* - cgroup2 `));
  roots = newRoots('devbpf');
  cgroup = path.join(UNIFIED, `tspod-it-devbpf-${process.pid}`);
  fs.mkdirSync(cgroup);
});

afterAll(() => {
  if (fs.existsSync(cgroup)) fs.rmdirSync(cgroup);
  removeRoots(roots);
});

/** Run `script` in a shell; with `inCgroup`, the shell first moves itself into the test's cgroup. */
function shell(script: string, inCgroup: boolean): string[] {
  const join = inCgroup ? `echo $$ > ${cgroup}/cgroup.procs || exit 99; ` : '';
  const r = spawnSync('sh', ['-c', join + script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

const tryOpen = (node: string, mode: '<' | '>') =>
  `if (exec 3${mode}${node}) 2>/dev/null; then echo "${node} ok"; else echo "${node} refused"; fi`;

describe('the cgroup v2 device program', () => {
  test('loads, passes the verifier and is attached to the cgroup', () => {
    expect(native.cgroupDeviceQuery(cgroup)).toBe(0);
    attachDevicePolicy(cgroup, DEFAULT_DEVICE_RULES);
    expect(native.cgroupDeviceQuery(cgroup)).toBe(1);
  });

  test('in the cgroup: the kernel log and a node made for it do not open; mknod and the harmless devices work', () => {
    const node = path.join(roots.dir, 'kmsg-node');
    const script = [
      `rm -f ${node}; mknod ${node} c 1 11 && echo made`,
      tryOpen('/dev/kmsg', '<'),
      tryOpen(node, '<'),
      tryOpen(node, '>'),
      tryOpen('/dev/null', '>'),
      tryOpen('/dev/zero', '<'),
      tryOpen('/dev/urandom', '<'),
      'head -c 3 /dev/zero | wc -c',
      `rm -f ${node}`,
    ].join('; ');
    // The control: the host's own shell, outside the cgroup, opens all of them.
    expect(shell(script, false)).toEqual([
      'made',
      '/dev/kmsg ok',
      `${node} ok`,
      `${node} ok`,
      '/dev/null ok',
      '/dev/zero ok',
      '/dev/urandom ok',
      '3',
    ]);
    expect(shell(script, true)).toEqual([
      'made',
      '/dev/kmsg refused',
      `${node} refused`,
      `${node} refused`,
      '/dev/null ok',
      '/dev/zero ok',
      '/dev/urandom ok',
      '3',
    ]);
  });

  test("a cgroup below it inherits the policy (the container's own children cannot escape it)", () => {
    const child = path.join(cgroup, 'below');
    fs.mkdirSync(child);
    try {
      const r = spawnSync('sh', ['-c', `echo $$ > ${child}/cgroup.procs && ${tryOpen('/dev/kmsg', '<')}`], {
        encoding: 'utf8',
      });
      expect(r.stdout.trim()).toBe('/dev/kmsg refused');
    } finally {
      fs.rmdirSync(child);
    }
  });

  test('the errno a container sees is EPERM, as with the v1 controller', () => {
    const r = spawnSync('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec 3</dev/kmsg`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted|not permitted/);
  });

  test('removing the cgroup releases the program and leaves nothing', () => {
    expect(fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').trim()).toBe('');
    fs.rmdirSync(cgroup);
    expect(fs.existsSync(cgroup)).toBe(false);
    expect(fs.readdirSync(UNIFIED).filter((n) => n.startsWith('tspod-it-devbpf-'))).toEqual([]);
  });
});
