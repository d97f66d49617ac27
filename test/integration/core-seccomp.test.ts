/**
 * seccomp, seen from inside the containers: the kernel's own report (`Seccomp:` in
 * /proc/self/status), and what system calls answer. A small static probe (fixtures/syscall.c),
 * built here and bind-mounted in, makes raw calls the busybox image has no tool for (keyctl, clone3).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
let probeDir: string;
beforeAll(() => {
  roots = newRoots('seccomp');
  probeDir = path.join(roots.dir, 'probe');
  fs.mkdirSync(probeDir);
  execFileSync('cc', [
    '-static',
    '-O2',
    '-o',
    path.join(probeDir, 'syscall'),
    path.join(import.meta.dirname, 'fixtures/syscall.c'),
  ]);
});
afterAll(() => removeRoots(roots));

// x86_64 numbers: keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), clone3(NULL, 0).
const KEYCTL = '/probe/syscall 250 0 -3 0';
const CLONE3 = '/probe/syscall 435 0 0';
const UNSHARE_USER = 'unshare -U true 2>/dev/null && echo unshare-ok || echo unshare-refused';

async function run(
  script: string,
  sc: object = {},
  podExtra: object = {},
  annotations?: object,
): Promise<{ code: number | null; out: string[]; stderr: string }> {
  const c = {
    name: 'c',
    image: 'busybox',
    command: ['sh', '-c', script],
    securityContext: sc,
    volumeMounts: [{ name: 'probe', mountPath: '/probe', readOnly: true }],
  };
  const spec = {
    restartPolicy: 'Never',
    volumes: [{ name: 'probe', hostPath: { path: probeDir, type: 'Directory' } }],
    containers: [c],
    ...podExtra,
  };
  const res = await runPod(
    roots,
    { ...pod('seccomp', spec), ...(annotations ? { metadata: { name: 'seccomp', annotations } } : {}) },
    ['--network', 'none'],
  );
  expectClean(roots);
  return { code: res.code, out: linesOf(res.stdout, 'c'), stderr: res.stderr };
}
const seccompLine = 'grep "^Seccomp:" /proc/self/status';

describe('seccomp from inside a pod', () => {
  test('RuntimeDefault is the default: filter mode 2, no user namespace, no keyring, clone3 answers ENOSYS', async () => {
    const r = await run(`${seccompLine}; ${UNSHARE_USER}; ${KEYCTL}; ${CLONE3}; mkdir /tmp/d && echo mkdir-ok`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toEqual(['Seccomp:\t2', 'unshare-refused', 'errno EPERM', 'errno ENOSYS', 'mkdir-ok']);
  });

  test('Unconfined opts out (pod field, or the old annotation for the container)', async () => {
    const field = await run(
      `${seccompLine}; ${UNSHARE_USER}; ${CLONE3}`,
      {},
      { securityContext: { seccompProfile: { type: 'Unconfined' } } },
    );
    expect(field.out).toEqual(['Seccomp:\t0', 'unshare-ok', 'errno EINVAL']);
    const annotated = await run(
      `${seccompLine}`,
      {},
      {},
      { 'container.seccomp.security.alpha.kubernetes.io/c': 'unconfined' },
    );
    expect(annotated.out).toEqual(['Seccomp:\t0']);
  });

  test('a Localhost profile that blocks mkdir makes mkdir fail with its errno', async () => {
    const dir = path.join(roots.root, 'seccomp', 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'no-mkdir.json'),
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }],
      }),
    );
    const r = await run(`${seccompLine}; mkdir /tmp/d 2>&1; touch /tmp/f && echo touch-ok`, {
      seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/no-mkdir.json' },
    });
    expect(r.out).toEqual(['Seccomp:\t2', "mkdir: can't create directory '/tmp/d': Disk quota exceeded", 'touch-ok']);
    const missing = await run('true', {
      seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/none.json' },
    });
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/seccomp profile .*cannot read .*profiles\/none\.json/);
  });

  test('CAP_SYS_ADMIN keeps mount and unshare under RuntimeDefault; privileged runs unfiltered', async () => {
    const mnt = 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mount-ok';
    const admin = await run(`${seccompLine}; ${mnt}; ${UNSHARE_USER}`, { capabilities: { add: ['SYS_ADMIN'] } });
    expect(admin.out).toEqual(['Seccomp:\t2', 'mount-ok', 'unshare-ok']);
    const priv = await run(`${seccompLine}; ${mnt}`, { privileged: true });
    expect(priv.out).toEqual(['Seccomp:\t0', 'mount-ok']);
  });

  test('with no_new_privs and a non-root user the filter is still loaded', async () => {
    const r = await run(`${seccompLine}; grep ^NoNewPrivs /proc/self/status; id -u; ${KEYCTL}`, {
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
    });
    expect(r.out).toEqual(['Seccomp:\t2', 'NoNewPrivs:\t1', '1000', 'errno EPERM']);
  });

  test("tspod exec gets the container's filter", async () => {
    const manifest = pod('seccomp-exec', {
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    });
    const started = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
    expect(started.code, started.stderr).toBe(0);
    try {
      const r = await tspod(roots, ['exec', 'seccomp-exec', '--', 'sh', '-c', `${seccompLine}; ${UNSHARE_USER}`]);
      expect(r.stdout.trim().split('\n')).toEqual(['Seccomp:\t2', 'unshare-refused']);
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'seccomp-exec'])).code).toBe(0);
    }
    expectClean(roots);
  });

  test('--dry-run shows the profile applied and its size', async () => {
    const r = await tspod(
      roots,
      ['run', '--dry-run', '-'],
      JSON.stringify(pod('dry', { containers: [{ name: 'c', image: 'busybox' }] })),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /seccomp\(SECCOMP_SET_MODE_FILTER\) RuntimeDefault: default errno EPERM, \d+ system calls allowed, \d+ rules .*, \d+ BPF instructions/,
    );
  });
});
