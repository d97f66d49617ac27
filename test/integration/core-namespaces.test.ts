/**
 * The heart of a pod, seen from inside its containers: they share the infra's network, IPC and UTS
 * namespaces, and each has its own mount and PID namespace (its command is PID 1 there).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, start, waitFor, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('ns');
});
afterAll(() => removeRoots(roots));

const NS = ['net', 'ipc', 'uts', 'mnt', 'pid', 'cgroup'];
// Each container prints its namespaces, then waits until the test says "go" (a file in a hostPath).
const report = (marker: string) =>
  `echo ${marker}; for n in ${NS.join(' ')}; do echo "$n $(readlink /proc/self/ns/$n)"; done; ` +
  'echo "pid1 $(tr "\\0" " " < /proc/1/cmdline)"; hostname; cat /etc/hostname; ' +
  'until [ -e /ctl/go ]; do sleep 0.05; done';

function namespaces(lines: string[]): Record<string, string> {
  return Object.fromEntries(
    lines.filter((l) => NS.includes(l.split(' ')[0])).map((l) => l.split(' ') as [string, string]),
  );
}

describe('two containers in one pod', () => {
  test('share net, ipc and uts with the infra; own mnt, pid and cgroup; hostname is the pod name', async () => {
    const ctl = fs.mkdtempSync(path.join(roots.dir, 'ctl-'));
    const uid = '0b1a8f2e-0000-4000-8000-000000000001';
    const manifest = pod(
      'ns-pod',
      {
        restartPolicy: 'Never',
        volumes: [{ name: 'ctl', hostPath: { path: ctl, type: 'Directory' } }],
        containers: ['a', 'b'].map((n) => ({
          name: n,
          image: 'busybox',
          command: ['sh', '-c', report(`marker-${n}`)],
          volumeMounts: [{ name: 'ctl', mountPath: '/ctl' }],
        })),
      },
      uid,
    );
    const run = start(roots, ['run', '--network', 'none', '-'], JSON.stringify(manifest));
    await waitFor(
      'both containers to report',
      () => linesOf(run.output(), 'a').length >= 10 && linesOf(run.output(), 'b').length >= 10,
    );
    const state = JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods/ns-pod/state.json'), 'utf8'));
    const infra: Record<string, string> = Object.fromEntries(
      NS.map((n) => [n, fs.readlinkSync(`/proc/${state.infra.pid}/ns/${n}`)]),
    );
    const host: Record<string, string> = Object.fromEntries(NS.map((n) => [n, fs.readlinkSync(`/proc/self/ns/${n}`)]));
    fs.writeFileSync(path.join(ctl, 'go'), '');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);

    const a = namespaces(linesOf(res.stdout, 'a'));
    const b = namespaces(linesOf(res.stdout, 'b'));
    for (const n of ['net', 'ipc', 'uts']) {
      expect(a[n]).toBe(infra[n]);
      expect(b[n]).toBe(infra[n]);
      expect(a[n]).not.toBe(host[n]);
    }
    for (const n of ['mnt', 'pid', 'cgroup']) {
      expect(a[n]).not.toBe(b[n]);
      expect(a[n]).not.toBe(host[n]);
      expect(a[n]).not.toBe(infra[n]);
    }
    // Each container's own command is PID 1 of its PID namespace.
    expect(linesOf(res.stdout, 'a').find((l) => l.startsWith('pid1 '))).toContain('marker-a');
    expect(linesOf(res.stdout, 'b').find((l) => l.startsWith('pid1 '))).toContain('marker-b');
    // hostname(1) and /etc/hostname both say the pod's name.
    expect(linesOf(res.stdout, 'a').filter((l) => l === 'ns-pod')).toHaveLength(2);
    expectClean(roots, [uid], ['marker-a', 'marker-b']);
  });

  test('shareProcessNamespace: pause is PID 1, containers see each other, orphans are reaped', async () => {
    const uid = '0b1a8f2e-0000-4000-8000-000000000002';
    const manifest = pod(
      'shared-pid',
      {
        restartPolicy: 'Never',
        shareProcessNamespace: true,
        containers: [
          { name: 'sleeper', image: 'busybox', command: ['sh', '-c', 'exec sleep 30 # marker-sleeper'] },
          {
            name: 'looker',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              // an orphan: the subshell exits at once, its sleep is reparented to PID 1 (pause)
              'until pidof sleep >/dev/null; do sleep 0.05; done; (sleep 0.2 &); sleep 1; ' +
                'echo "pid1 $(cat /proc/1/cmdline)"; echo "sleepers $(pidof sleep | wc -w)"; ' +
                'echo "zombies $(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)"; ' +
                'echo "pidns-sleeper $(readlink /proc/$(pidof sleep)/ns/pid)"; echo "pidns-me $(readlink /proc/self/ns/pid)"; kill $(pidof sleep)',
            ],
          },
        ],
      },
      uid,
    );
    const res = await start(roots, ['run', '--network', 'none', '-'], JSON.stringify(manifest)).done;
    const out = linesOf(res.stdout, 'looker');
    expect(out, res.stderr).toContain('pid1 /pause');
    expect(out).toContain('sleepers 1');
    expect(out).toContain('zombies 0');
    const pidns = out.filter((l) => l.startsWith('pidns-')).map((l) => l.split(' ')[1]);
    expect(pidns[0]).toBe(pidns[1]);
    // the sleeper was killed by SIGTERM: 128+15
    expect(res.code).toBe(143);
    expectClean(roots, [uid], ['marker-sleeper']);
  });
});
