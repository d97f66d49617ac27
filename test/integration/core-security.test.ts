/**
 * What a container can and cannot reach, checked from inside it: the default capability set,
 * masked and read-only /proc and /sys paths, a /dev with only harmless devices, no inherited file
 * descriptors, mount targets that cannot be redirected to the host by symlinks, and the files it
 * writes (set-user-ID root ones too) out of the host users' reach.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  expectClean,
  expectSetuidOutOfReach,
  linesOf,
  newRoots,
  pod,
  removeRoots,
  runPod,
  waitFor,
  type TestRoots,
} from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('sec');
});
afterAll(() => removeRoots(roots));

/** Run one busybox container with `script`; its output lines. */
async function inside(script: string, extra: object = {}, podExtra: object = {}): Promise<string[]> {
  const res = await runPod(
    roots,
    pod('sec', {
      restartPolicy: 'Never',
      ...podExtra,
      containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script], ...extra }],
    }),
    ['--network', 'none'],
  );
  expect(res.code, res.stderr).toBe(0);
  expectClean(roots);
  return linesOf(res.stdout, 'c');
}

// CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
const DEFAULT_CAPS = '00000000a80425fb';

describe('a container, from inside', () => {
  test('has the 14 default capabilities, nothing inheritable or ambient', async () => {
    const out = await inside('grep ^Cap /proc/self/status');
    expect(out).toEqual([
      `CapInh:\t${'0'.repeat(16)}`,
      `CapPrm:\t${DEFAULT_CAPS}`,
      `CapEff:\t${DEFAULT_CAPS}`,
      `CapBnd:\t${DEFAULT_CAPS}`,
      `CapAmb:\t${'0'.repeat(16)}`,
    ]);
  });

  test('a non-root user has no effective capabilities; allowPrivilegeEscalation false sets no_new_privs', async () => {
    const out = await inside('id -u; id -g; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status', {
      securityContext: { runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false },
    });
    expect(out).toEqual(['1000', '1000', `CapEff:\t${'0'.repeat(16)}`, 'NoNewPrivs:\t1']);
  });

  test('sees masked paths empty and cannot write read-only ones', async () => {
    const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats'].filter(
      (p) => fs.existsSync(p),
    );
    const maskedDirs = ['/proc/acpi', '/proc/scsi', '/sys/firmware'].filter((p) => fs.existsSync(p));
    expect(masked.length).toBeGreaterThan(0);
    expect(maskedDirs.length).toBeGreaterThan(0);
    const out = await inside(
      [
        ...masked.map((p) => `echo "${p} $(wc -c < ${p})"`),
        ...maskedDirs.map((p) => `echo "${p} $(ls -A ${p} | wc -l)"`),
        'echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys-writable || echo sys-readonly',
        'touch /sys/x 2>/dev/null && echo sysfs-writable || echo sysfs-readonly',
      ].join('; '),
    );
    for (const p of [...masked, ...maskedDirs]) expect(out).toContain(`${p} 0`);
    expect(out).toContain('sys-readonly');
    expect(out).toContain('sysfs-readonly');
  });

  test('has only fds 0, 1 and 2 open', async () => {
    // PID 1 is the container's command: look at its fds, not at those of ls.
    const out = await inside('ls /proc/1/fd; sleep 0');
    expect(out).toEqual(['0', '1', '2']);
  });

  test('has a minimal /dev of its own and a private devpts', async () => {
    const out = await inside(
      'ls /dev; ls /dev/pts; readlink /dev/ptmx; grep -E " /dev(/pts|/shm|/mqueue)? " /proc/self/mounts | cut -d" " -f2,3',
    );
    const dev = out.slice(0, out.indexOf('zero') + 1);
    expect(dev.filter((d) => d !== 'termination-log').sort()).toEqual([
      'fd',
      'full',
      'mqueue',
      'null',
      'ptmx',
      'pts',
      'random',
      'shm',
      'stderr',
      'stdin',
      'stdout',
      'tty',
      'urandom',
      'zero',
    ]);
    expect(out).not.toContain('sda');
    expect(out).not.toContain('kmsg');
    expect(out).toContain('pts/ptmx');
    expect(out).toEqual(
      expect.arrayContaining(['/dev tmpfs', '/dev/pts devpts', '/dev/shm tmpfs', '/dev/mqueue mqueue']),
    );
  });

  test('privileged: every capability and nothing masked', async () => {
    const out = await inside(
      'grep ^CapEff /proc/self/status; wc -c < /proc/timer_list; [ -e /dev/kmsg ] && echo host-devices',
      { securityContext: { privileged: true } },
    );
    expect(out[0]).not.toBe(`CapEff:\t${DEFAULT_CAPS}`);
    expect(Number(out[1])).toBeGreaterThan(0);
    expect(out[2]).toBe('host-devices');
  });

  test('a symlink in a volume cannot redirect a mount onto the host', async () => {
    const vol = fs.mkdtempSync(path.join(roots.dir, 'vol-'));
    const name = `tspod-escape-${path.basename(vol)}`;
    fs.symlinkSync('/tmp', path.join(vol, 'escape')); // absolute: on the host it means the host's /tmp
    const out = await inside(
      `grep " /tmp/${name} " /proc/self/mounts | cut -d" " -f2; echo hello > /v/escape/${name}/f; cat /tmp/${name}/f`,
      {
        volumeMounts: [
          { name: 'v', mountPath: '/v' },
          { name: 'd', mountPath: `/v/escape/${name}` },
        ],
      },
      {
        volumes: [
          { name: 'v', hostPath: { path: vol } },
          { name: 'd', emptyDir: {} },
        ],
      },
    );
    // The link was followed inside the container's root: the volume sits on the container's /tmp...
    expect(out).toEqual([`/tmp/${name}`, 'hello']);
    // ...and nothing was created or mounted on the host's /tmp.
    expect(fs.existsSync(path.join('/tmp', name))).toBe(false);
  });

  test('a subPath that leaves its volume through a symlink is refused', async () => {
    const vol = fs.mkdtempSync(path.join(roots.dir, 'vol-'));
    fs.symlinkSync('/etc', path.join(vol, 'etc'));
    const res = await runPod(
      roots,
      pod('sub', {
        restartPolicy: 'Never',
        volumes: [{ name: 'v', hostPath: { path: vol } }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['cat', '/x/passwd'],
            volumeMounts: [{ name: 'v', mountPath: '/x', subPath: 'etc' }],
          },
        ],
      }),
      ['--network', 'none'],
    );
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(/container "c".*bind.*EXDEV/s);
    expect(linesOf(res.stdout, 'c')).toEqual([]);
    expectClean(roots);
  });

  test("a set-user-ID root program a container leaves in its upper layer or an emptyDir is out of every host user's reach", async () => {
    // Its root is host root: what it writes is host root's on disk, set-user-ID if it says so. The
    // roots sit in a directory everyone may traverse, as an operator's --root may.
    fs.chmodSync(roots.dir, 0o755);
    const plant = (file: string) => `cp /bin/busybox ${file} && chmod 4755 ${file}`;
    const run = runPod(
      roots,
      pod('planter', {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: 'e', emptyDir: {} }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            volumeMounts: [{ name: 'e', mountPath: '/e' }],
            command: [
              'sh',
              '-c',
              `${plant('/suid')} && ${plant('/e/suid')} && touch /e/ready && while [ ! -e /e/done ]; do sleep 0.1; done`,
            ],
          },
        ],
      }),
      ['--network', 'none'],
    );
    const volume = path.join(roots.root, 'pods', 'planter', 'volumes', 'e');
    try {
      await waitFor('the planted files', () => fs.existsSync(path.join(volume, 'ready')));
      for (const file of [
        path.join(volume, 'suid'),
        path.join(roots.root, 'pods', 'planter', 'containers', 'c', '0', 'upper', 'suid'),
      ]) {
        expectSetuidOutOfReach(file);
      }
    } finally {
      fs.writeFileSync(path.join(volume, 'done'), '');
      fs.chmodSync(roots.dir, 0o700);
      const res = await run;
      expect(res.code, res.stderr).toBe(0);
    }
    expectClean(roots);
  });
});
