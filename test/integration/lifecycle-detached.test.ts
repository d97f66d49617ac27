/**
 * The operator's loop on a detached pod: `run -d`, then `ps`, `inspect`, `ns`, `logs -f`, `exec`,
 * `stop`, `rm`, and the host is as before. What tspod reports is checked against the kernel
 * (/proc/<pid>/ns/*) and against what a process inside the container sees.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, start, tspod, TSPOD, waitFor, type TestRoots } from './helpers.js';
import {
  alive,
  busybox,
  expectNothingLeft,
  inspect,
  lifecycleRoots,
  nsLink,
  readState,
  removeAll,
  statusOf,
} from './lifecycle-helpers.js';
import fs from 'node:fs';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('detached');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const ticker = 'trap "echo bye; exit 0" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done';
const web = () =>
  pod('web', {
    terminationGracePeriodSeconds: 5,
    containers: [
      busybox('main', ticker, { env: [{ name: 'GREETING', value: 'hello from web' }], workingDir: '/tmp' }),
      busybox('side', 'echo side up; exec sleep 1000'),
    ],
  });

async function runDetached(manifest: object): Promise<void> {
  const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
  expect(res.code, res.stderr).toBe(0);
}

describe('a detached pod', () => {
  test('run -d returns once the app containers run; ps, inspect and ns show them as the kernel does', async () => {
    const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(web()));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('web\n');
    const state = readState(roots, 'web');
    // Already running when run -d returned.
    expect(alive(state.containers.main.process!)).toBe(true);
    expect(alive(state.containers.side.process!)).toBe(true);
    expect(alive(state.supervisor)).toBe(true);

    const ps = await tspod(roots, ['ps']);
    expect(ps.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(ps.stdout.split('\n')[1]).toMatch(/^web\s+2\/2\s+Running\s+0\s+\d+s$/);
    // A v1 List, as kubectl get -o json prints it.
    const psJson = JSON.parse((await tspod(roots, ['ps', '--json'])).stdout);
    expect(psJson).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(psJson.items.map((p: any) => p.metadata.name)).toEqual(['web']);

    const p = await inspect(roots, 'web');
    expect(p).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', uid: state.uid },
      status: { phase: 'Running' },
    });
    expect(p.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(p.spec.restartPolicy).toBe('Always');
    expect(statusOf(p, 'main')).toMatchObject({ ready: true, started: true, restartCount: 0, state: { running: {} } });
    expect(statusOf(p, 'main').containerID).toMatch(/^tspod:\/\//);

    const ns = JSON.parse((await tspod(roots, ['ns', 'web', '--json'])).stdout);
    expect(Object.keys(ns)).toEqual(['infra', 'containers']);
    expect(ns.infra.pid).toBe(state.infra!.pid);
    for (const [name, proc] of [
      ['infra', ns.infra],
      ['main', ns.containers.main],
      ['side', ns.containers.side],
    ] as const) {
      if (name !== 'infra') expect(proc.pid).toBe(state.containers[name].process!.pid);
      for (const kind of ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'user']) {
        expect(`${kind}:[${proc.ns[kind]}]`, `${name} ${kind}`).toBe(nsLink(proc.pid, kind));
      }
    }
    // The pod's sharing, as the kernel has it: one net/ipc/uts, a mnt and pid namespace per container.
    expect(ns.containers.main.ns.net).toBe(ns.infra.ns.net);
    expect(ns.containers.side.ns.uts).toBe(ns.infra.ns.uts);
    expect(ns.containers.main.ns.mnt).not.toBe(ns.containers.side.ns.mnt);
    expect(ns.containers.main.ns.pid).not.toBe(ns.containers.side.ns.pid);
    expect((await tspod(roots, ['ns', 'web'])).stdout).toMatch(/^PROCESS\s+PID\s+MNT/);
  });

  test('exec runs in the container: its namespaces, root, env, working directory, user and capabilities; exit statuses', async () => {
    await runDetached(web());
    const state = readState(roots, 'web');
    const main = state.containers.main.process!.pid;
    const exec = (args: string[], input?: string) => tspod(roots, ['exec', ...args], input);

    const links = await exec([
      'web',
      '--',
      'sh',
      '-c',
      'for k in mnt net pid uts ipc cgroup; do readlink /proc/self/ns/$k; done',
    ]);
    expect(links.code, links.stderr).toBe(0);
    expect(links.stdout.trim().split('\n')).toEqual(
      ['mnt', 'net', 'pid', 'uts', 'ipc', 'cgroup'].map((k) => nsLink(main, k)),
    );
    const inside = await exec(['web', '--', 'sh', '-c', 'echo "$GREETING"; pwd; id -u']);
    const [greeting, cwd, uid] = inside.stdout.split('\n');
    expect([greeting, cwd, uid]).toEqual(['hello from web', '/tmp', '0']);
    // Same capability sets as the container's own process.
    const caps = (pid: number | 'self', text?: string) =>
      (text ?? fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
        .split('\n')
        .filter((l) => /^Cap(Prm|Eff|Bnd|Amb)|^NoNewPrivs/.test(l));
    const status = await exec(['web', '--', 'cat', '/proc/self/status']);
    expect(caps('self', status.stdout)).toEqual(caps(main));
    // -c picks the container; the hostname is the pod's.
    expect((await exec(['-c', 'side', 'web', '--', 'hostname'])).stdout).toBe('web\n');
    expect((await exec(['-c', 'side', 'web', '--', 'readlink', '/proc/self/ns/mnt'])).stdout.trim()).toBe(
      nsLink(state.containers.side.process!.pid, 'mnt'),
    );

    expect((await exec(['web', '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    const notFound = await exec(['web', '--', 'no-such-command']);
    expect(notFound.code).toBe(127);
    expect(notFound.stderr).toMatch(/^tspod: command "no-such-command" in container "main": not found/);
    expect((await exec(['web', '--', '/etc/passwd'])).code).toBe(126);
    expect((await exec(['-c', 'nope', 'web', '--', 'true'])).code).toBe(125);
    // -i passes stdin; without it the command reads /dev/null.
    expect((await exec(['-i', 'web', '--', 'tr', 'a-z', 'A-Z'], 'piped in\n')).stdout).toBe('PIPED IN\n');
    expect((await exec(['web', '--', 'cat'], 'ignored\n')).stdout).toBe('');
  });

  test("exec -t gives the command a terminal of its own, in the container's devpts", async () => {
    await runDetached(web());
    // script(1) gives the tspod command a terminal, as a user's shell would.
    const cmd = `${process.execPath} ${TSPOD} exec -t web -- sh -c '[ -t 0 ] && [ -t 1 ] && echo is-a-tty; stty size; echo "name $(tty)"; ls -1 /dev/pts; exit 3'`;
    const res = await promisify(execFile)('script', ['-qec', `stty rows 30 cols 90; ${cmd}`, '/dev/null'], {
      env: roots.env,
    }).catch((e) => e);
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('is-a-tty');
    expect(res.stdout).toContain('30 90');
    // The terminal has a name inside the container: it comes from the container's own devpts.
    const name = /name (\/dev\/pts\/\d+)/.exec(res.stdout)?.[1];
    expect(name).toBeDefined();
    expect(res.stdout).toMatch(new RegExp(`^${name!.split('/').pop()}\\r*$`, 'm'));
  });

  test('logs prints what ran; logs -f follows until the container ends; stop, then rm leave nothing', async () => {
    await runDetached(web());
    const state = readState(roots, 'web');
    const follow = start(roots, ['logs', '-f', '-c', 'main', 'web']);
    await waitFor('a few ticks', () => follow.output().includes('tick 3'));
    const all = await tspod(roots, ['logs', 'web']);
    expect(all.stdout).toMatch(/^\[main\] tick 0$/m);
    expect(all.stdout).toMatch(/^\[side\] side up$/m);
    expect((await tspod(roots, ['logs', '--timestamps', '-c', 'side', 'web'])).stdout).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z side up\n$/,
    );

    const rm = await tspod(roots, ['rm', 'web']);
    expect(rm.code).toBe(125);
    expect(rm.stderr).toMatch(/pod "web" is running/);

    const stop = await tspod(roots, ['stop', 'web']);
    expect(stop.code, stop.stderr).toBe(0);
    const followed = await follow.done;
    expect(followed.code).toBe(0);
    const lines = followed.stdout.trim().split('\n');
    expect(lines[0]).toBe('tick 0');
    expect(lines.at(-1)).toBe('bye');

    expect((await tspod(roots, ['ps'])).stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect((await tspod(roots, ['ps', '-a'])).stdout).toMatch(/^web\s+0\/2\s+\w+\s/m);
    expect((await tspod(roots, ['exec', 'web', '--', 'true'])).stderr).toMatch(
      /container "main" of pod "web" is not running/,
    );
    // Kept after it stopped: logs still there, until rm.
    expect((await tspod(roots, ['logs', '-c', 'main', 'web'])).stdout).toContain('bye');
    const removed = await tspod(roots, ['rm', 'web']);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await tspod(roots, ['ps', '-a'])).stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect((await tspod(roots, ['inspect', 'web'])).code).toBe(125);
    await expectNothingLeft(roots, [state]);
  });

  test('a second pod of the same name is refused, and the first is untouched', async () => {
    await runDetached(web());
    const before = readState(roots, 'web');
    const again = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(web()));
    expect(again.code).toBe(125);
    expect(again.stderr).toMatch(/^tspod: pod "web" already exists/m);
    const foreground = await tspod(roots, ['run', '--network', 'none', '-'], JSON.stringify(web()));
    expect(foreground.code).toBe(125);
    const after = readState(roots, 'web');
    expect(after.uid).toBe(before.uid);
    expect(after.supervisor).toEqual(before.supervisor);
    expect(alive(before.containers.main.process!)).toBe(true);
    expect((await tspod(roots, ['exec', 'web', '--', 'echo', 'still here'])).stdout).toBe('still here\n');
    expect((await tspod(roots, ['rm', '-f', 'web'])).code).toBe(0);
    await expectNothingLeft(roots, [before]);
  });

  test('a foreground pod can be stopped with tspod stop too', async () => {
    const run = start(
      roots,
      ['run', '--network', 'none', '-'],
      JSON.stringify(
        pod('fg', { containers: [busybox('a', 'trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done')] }),
      ),
    );
    await waitFor('the container', () => run.output().includes('ready'));
    expect((await tspod(roots, ['stop', 'fg'])).code).toBe(0);
    expect((await run.done).code).toBe(0);
    expect(fs.existsSync(`${roots.runRoot}/pods/fg`)).toBe(false);
  });

  test('a start error of a detached pod is reported by run -d, and nothing is left', async () => {
    const bad = pod('bad', { containers: [{ name: 'a', image: 'busybox', command: ['/no/such'] }] });
    const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(bad));
    expect(res.code).toBe(127);
    expect(res.stderr).toMatch(/container "a" of pod "bad" cannot run/);
    expect((await tspod(roots, ['rm', '-f', 'bad'])).code).toBe(0);
    const missing = await tspod(
      roots,
      ['run', '-d', '-'],
      JSON.stringify(pod('img', { containers: [{ name: 'a', image: 'no-such-image' }] })),
    );
    expect(missing.code).toBe(125);
    expect(fs.existsSync(`${roots.runRoot}/pods/img`)).toBe(false);
  });
});
