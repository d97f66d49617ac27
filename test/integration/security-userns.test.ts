/**
 * User namespaces (hostUsers: false), seen from inside real pods and from the host: the mapping in
 * /proc/self/uid_map, the image's files owned by the pod's root, what a container writes to an
 * emptyDir owned on the host by the mapped id, host root's files out of reach through a hostPath,
 * masks that a container with CAP_SYS_ADMIN in its namespace cannot remove, `tspod exec` in the
 * namespace, disjoint ranges for concurrent pods, and each range freed at teardown; a privileged
 * container has every capability in the namespace and still cannot read host root's file; a
 * set-user-ID root program it writes through an idmapped mount is out of the host users' reach.
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
  tspod,
  waitFor,
  type TestRoots,
} from './helpers.js';

let roots: TestRoots;
let secretDir: string;
beforeAll(() => {
  roots = newRoots('userns');
  // A host file only host root may read, and a directory of the host that is not the pod's.
  secretDir = path.join(roots.dir, 'host-secret');
  fs.mkdirSync(secretDir, { mode: 0o755 });
  fs.writeFileSync(path.join(secretDir, 'key'), 'host secret\n', { mode: 0o600 });
  fs.chmodSync(path.join(secretDir, 'key'), 0o600);
});
afterAll(() => removeRoots(roots));

/** The host's range claims held by this file's pods (the directory is shared by every tspod root). */
const claimsOf = (runRoot: string) => {
  const dir = '/run/tspod-userns';
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')).runRoot === runRoot;
      } catch {
        return false;
      }
    })
    .sort();
};
const claims = () => claimsOf(roots.runRoot);
const mapLine = (hostId: number) => `0 ${hostId} 65536`;
const squash = (s: string) => s.trim().split(/\s+/).join(' ');
const stateOf = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods', name, 'state.json'), 'utf8'));

function sleeper(name: string, extra: object = {}): object {
  return pod(name, {
    hostUsers: false,
    terminationGracePeriodSeconds: 2,
    volumes: [{ name: 'scratch', emptyDir: {} }],
    containers: [
      {
        name: 'c',
        image: 'busybox',
        command: ['sleep', '3600'],
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
      },
    ],
    ...extra,
  });
}

describe('hostUsers: false', () => {
  test("inside: the mapping, root of the namespace, the image owned by it; outside: the mapped owner; host root's file unreadable", async () => {
    const script = [
      'cat /proc/self/uid_map /proc/self/gid_map',
      'id -u',
      'stat -c "%u:%g" / /bin/busybox /etc/hosts',
      'echo data > /e/file',
      'mkdir /e/dir',
      'chown 1000:1000 /e/dir',
      'touch /e/dir/x',
      'ls -ln /host/key | cut -c1-10',
      'cat /host/key 2>&1 || echo read-refused',
      'stat -c "%u" /host/key',
      // Keep the volume until the host has looked at it.
      'while [ ! -e /e/done ]; do sleep 0.1; done',
    ].join('; ');
    const manifest = pod('inside', {
      hostUsers: false,
      restartPolicy: 'Never',
      volumes: [
        { name: 'e', emptyDir: {} },
        { name: 'host', hostPath: { path: secretDir, type: 'Directory' } },
      ],
      containers: [
        {
          name: 'c',
          image: 'busybox',
          command: ['sh', '-c', script],
          volumeMounts: [
            { name: 'e', mountPath: '/e' },
            { name: 'host', mountPath: '/host' },
          ],
        },
      ],
    });
    const run = runPod(roots, manifest, ['--network', 'none']);
    const file = path.join(roots.root, 'pods', 'inside', 'volumes', 'e', 'file');
    await waitFor('the file the container wrote', () =>
      fs.existsSync(path.join(roots.root, 'pods', 'inside', 'volumes', 'e', 'dir', 'x')),
    );
    const { hostId } = stateOf('inside').userns;
    expect(hostId % 65536).toBe(0);
    expect(hostId).toBeGreaterThanOrEqual(65536);
    expect(claims()).toEqual([String(hostId)]);
    // The host sees the ids the container ran as, shifted into the pod's range: never root.
    const st = fs.statSync(file);
    expect([st.uid, st.gid]).toEqual([hostId, hostId]);
    const d = fs.statSync(path.join(roots.root, 'pods', 'inside', 'volumes', 'e', 'dir'));
    expect([d.uid, d.gid]).toEqual([hostId + 1000, hostId + 1000]);
    expect(fs.statSync(path.join(roots.root, 'pods', 'inside', 'volumes', 'e', 'dir', 'x')).uid).toBe(hostId);
    fs.writeFileSync(path.join(roots.root, 'pods', 'inside', 'volumes', 'e', 'done'), '');
    const res = await run;
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c').map(squash)).toEqual([
      mapLine(hostId),
      mapLine(hostId),
      '0',
      '0:0',
      '0:0',
      '0:0',
      // host root is not mapped in the pod: its file shows as the overflow id and cannot be read
      '-rw-------',
      "cat: can't open '/host/key': Permission denied",
      'read-refused',
      '65534',
    ]);
    expect(claims()).toEqual([]);
    expectClean(roots);
  });

  test('the masks stay: a container with CAP_SYS_ADMIN in its namespace cannot unmount or remount them', async () => {
    const script = [
      'grep -c " /proc/keys " /proc/self/mountinfo',
      'umount /proc/keys 2>/dev/null && echo unmounted || echo umount-refused',
      'grep -c " /proc/keys " /proc/self/mountinfo',
      'mount -o remount,rw /proc/sys 2>/dev/null && echo remounted || echo remount-refused',
      'mkdir /tmp/m && mount -t tmpfs t /tmp/m && echo own-mount-ok',
    ].join('; ');
    const res = await runPod(
      roots,
      pod('locked', {
        hostUsers: false,
        restartPolicy: 'Never',
        securityContext: { seccompProfile: { type: 'Unconfined' } },
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', script],
            securityContext: { capabilities: { add: ['SYS_ADMIN'] } },
          },
        ],
      }),
      ['--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    // Its own mount namespace belongs to the pod's user namespace (a tmpfs of its own works).
    expect(linesOf(res.stdout, 'c')).toEqual(['1', 'umount-refused', '1', 'remount-refused', 'own-mount-ok']);
    expect(claims()).toEqual([]);
    expectClean(roots);
  });

  test("privileged in a user namespace: every capability, but only there (host root's file stays unreadable); image volumes keep host owners", async () => {
    const script = [
      'grep ^CapEff /proc/self/status',
      'mkdir /tmp/m && mount -t tmpfs t /tmp/m && echo mount-ok',
      'cat /host/key 2>&1 || echo read-refused',
      'stat -c "%u" /iv/bin/busybox',
      'head -1 /iv/etc/passwd',
    ].join('; ');
    const res = await runPod(
      roots,
      pod('privileged', {
        hostUsers: false,
        restartPolicy: 'Never',
        volumes: [
          { name: 'host', hostPath: { path: secretDir, type: 'Directory' } },
          { name: 'iv', image: { reference: 'busybox', pullPolicy: 'Never' } },
        ],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', script],
            securityContext: { privileged: true },
            volumeMounts: [
              { name: 'host', mountPath: '/host' },
              { name: 'iv', mountPath: '/iv' },
            ],
          },
        ],
      }),
      ['--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    const out = linesOf(res.stdout, 'c');
    // CAP_SYS_ADMIN (bit 21) and CAP_DAC_OVERRIDE (bit 1), held in the pod's user namespace only.
    const eff = BigInt(`0x${out[0].split(/\s+/)[1]}`);
    expect([(eff >> 21n) & 1n, (eff >> 1n) & 1n]).toEqual([1n, 1n]);
    expect(out.slice(1)).toEqual([
      'mount-ok',
      "cat: can't open '/host/key': Permission denied",
      'read-refused',
      '65534',
      'root:x:0:0:root:/root:/bin/sh',
    ]);
    expect(claims()).toEqual([]);
    expectClean(roots);
  });

  test('procMount: Unmasked gives a /proc without masks; Default keeps them', async () => {
    const script = 'grep -c " /proc/keys " /proc/self/mountinfo; grep -c " /proc/sys " /proc/self/mountinfo; true';
    const run = (procMount: string) =>
      runPod(
        roots,
        pod(`proc-${procMount.toLowerCase()}`, {
          hostUsers: false,
          restartPolicy: 'Never',
          containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script], securityContext: { procMount } }],
        }),
        ['--network', 'none'],
      );
    const unmasked = await run('Unmasked');
    expect(unmasked.code, unmasked.stderr).toBe(0);
    expect(linesOf(unmasked.stdout, 'c')).toEqual(['0', '0']);
    const masked = await run('Default');
    expect(linesOf(masked.stdout, 'c')).toEqual(['1', '1']);
    expectClean(roots);
  });

  test('procMount: Unmasked without hostUsers: false, or hostUsers: false with hostPID, exit 125 naming the field', async () => {
    const bad = await runPod(
      roots,
      pod('bad', { containers: [{ name: 'c', image: 'busybox', securityContext: { procMount: 'Unmasked' } }] }),
    );
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(
      'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
    );
    const pid = await runPod(
      roots,
      pod('bad', { hostUsers: false, hostPID: true, containers: [{ name: 'c', image: 'busybox' }] }),
    );
    expect(pid.code).toBe(125);
    expect(pid.stderr).toContain('spec.hostPID: Forbidden: when `hostUsers` is false');
    expect(claims()).toEqual([]);
    expectClean(roots);
  });

  test('two pods at once get disjoint ranges; exec joins the namespace; stop and rm free both ranges', async () => {
    const [a, b] = await Promise.all([
      runPod(roots, sleeper('range-a'), ['-d', '--network', 'none']),
      runPod(roots, sleeper('range-b'), ['-d', '--network', 'none']),
    ]);
    try {
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const ids = ['range-a', 'range-b'].map((n) => stateOf(n).userns.hostId as number);
      expect(Math.abs(ids[0] - ids[1])).toBeGreaterThanOrEqual(65536);
      expect(claims()).toEqual(ids.map(String).sort());
      for (const [i, name] of ['range-a', 'range-b'].entries()) {
        const r = await tspod(roots, [
          'exec',
          name,
          '--',
          'sh',
          '-c',
          'cat /proc/self/uid_map; id -u; echo x > /scratch/from-exec; cat /proc/1/uid_map',
        ]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.trim().split('\n').map(squash)).toEqual([mapLine(ids[i]), '0', mapLine(ids[i])]);
        expect(fs.statSync(path.join(roots.root, 'pods', name, 'volumes', 'scratch', 'from-exec')).uid).toBe(ids[i]);
      }
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'range-a', 'range-b'])).code).toBe(0);
    }
    expect(claims()).toEqual([]);
    expectClean(roots);
  });

  test("the documentation's user-namespaces-stateless.yaml runs as written (debian, sleep infinity), its root a host id of its range", async () => {
    // Verbatim from the Kubernetes documentation (tasks/configure-pod-container/user-namespaces).
    const doc =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: userns\nspec:\n  hostUsers: false\n  containers:\n  - name: shell\n    command: ["sleep", "infinity"]\n    image: debian\n';
    const full = newRoots('userns-doc');
    // debian is in the default store that `make setup` builds (read, never written).
    fs.rmSync(path.join(full.root, 'images'), { recursive: true });
    fs.symlinkSync('/var/lib/tspod/images', path.join(full.root, 'images'));
    try {
      const r = await tspod(full, ['run', '-d', '--network', 'none', '-'], doc);
      expect(r.code, r.stderr).toBe(0);
      try {
        const { hostId } = JSON.parse(
          fs.readFileSync(path.join(full.runRoot, 'pods', 'userns', 'state.json'), 'utf8'),
        ).userns;
        const e = await tspod(full, [
          'exec',
          'userns',
          '--',
          'sh',
          '-c',
          'cat /proc/self/uid_map; readlink /proc/self/ns/user; id -un',
        ]);
        expect(e.code, e.stderr).toBe(0);
        const [map, ns, user] = e.stdout.trim().split('\n');
        expect(squash(map)).toBe(mapLine(hostId));
        expect(ns).not.toBe(fs.readlinkSync('/proc/self/ns/user'));
        expect(user).toBe('root');
      } finally {
        expect((await tspod(full, ['rm', '-f', 'userns'])).code).toBe(0);
      }
      expect(claimsOf(full.runRoot)).toEqual([]);
      expectClean(full);
    } finally {
      fs.unlinkSync(path.join(full.root, 'images'));
      removeRoots(full);
    }
  });

  test('gc frees the range of a pod whose supervisor was killed', async () => {
    const r = await runPod(roots, sleeper('orphan'), ['-d', '--network', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const { hostId } = stateOf('orphan').userns;
    expect(claims()).toEqual([String(hostId)]);
    process.kill(stateOf('orphan').supervisor.pid, 'SIGKILL');
    const gc = await waitFor('gc of the orphan', async () => {
      const res = await tspod(roots, ['gc']);
      return fs.existsSync(path.join(roots.runRoot, 'pods', 'orphan')) ? undefined : res;
    });
    expect(gc.code, gc.stderr).toBe(0);
    expect(claims()).toEqual([]);
    expectClean(roots);
  });

  test('a setuid-root file a userns pod writes through an idmapped mount (claim volume, termination log, /etc/hosts) gives no host user root', async () => {
    // Through an idmapped mount the pod's root writes files that host root owns on disk, and may
    // set their set-user-ID bit. The host's defence is that no other user reaches them: here the
    // roots sit in a directory everyone may traverse, as an operator's --root may.
    fs.chmodSync(roots.dir, 0o755);
    const plant = (file: string) => `cp /bin/busybox ${file} && chmod 4755 ${file}`;
    const script = [
      plant('/claim/sh'),
      plant('/dev/termination-log'),
      plant('/etc/hosts'),
      'touch /claim/ready',
      'while [ ! -e /claim/done ]; do sleep 0.1; done',
    ].join(' && ');
    const run = runPod(
      roots,
      pod('planter', {
        hostUsers: false,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: 'claim', persistentVolumeClaim: { claimName: 'userns-loot' } }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', script],
            volumeMounts: [{ name: 'claim', mountPath: '/claim' }],
          },
        ],
      }),
      ['--network', 'none'],
    );
    const data = path.join(roots.root, 'volumes', 'userns-loot', '_data');
    try {
      await waitFor('the planted files', () => fs.existsSync(path.join(data, 'ready')));
      const planted = [
        path.join(data, 'sh'),
        path.join(roots.root, 'pods', 'planter', 'containers', 'c', '0', 'termination-log'),
        path.join(roots.runRoot, 'pods', 'planter', 'etc', 'hosts'),
      ];
      for (const file of planted) {
        expectSetuidOutOfReach(file);
      }
    } finally {
      fs.mkdirSync(data, { recursive: true });
      fs.writeFileSync(path.join(data, 'done'), '');
      fs.chmodSync(roots.dir, 0o700);
      const res = await run;
      expect(res.code, res.stderr).toBe(0);
    }
    expect((await tspod(roots, ['volume', 'rm', 'userns-loot'])).code).toBe(0);
    expectClean(roots);
  });
});
