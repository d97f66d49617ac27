/**
 * One supervisor for every detached pod of a run root (issue 14), on real pods:
 *  - 20 pods handed over at once start exactly one supervisor (under one `tspod-monitor host`);
 *    `ps`, `inspect` and `logs` are right for each (each container says its hostname and the
 *    pod's uid from the downward API, so each log is checked from inside);
 *  - a pod whose container crashes, and a pod that is stopped, change nothing for the others;
 *  - the supervisor leaves once the last pod is removed, and nothing of any pod is left:
 *    processes, mounts, cgroups, netns pins, files (but the run root's supervisor directory and
 *    exits directory, made once and shared);
 *  - SIGKILL of the supervisor: every pod is orphaned, the monitor records the exit of a container
 *    that ends meanwhile (inspect shows it), gc removes everything, the monitor ends;
 *  - and when a supervisor starts again (the next `run -d`), it adopts every orphan: the same
 *    processes go on, the container that ended meanwhile is restarted as its policy says;
 *  - SIGKILL of the monitor: the supervisor says so (a MonitorLost event on each pod), its pods run
 *    on, the next `run -d` gets a new supervisor under a new monitor, and stop/rm leave nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { PodState } from '../../src/state/types.js';
import { mountsUnder, pod, processesWith, removeRoots, tspod, waitFor, type TestRoots } from './helpers.js';
import {
  alive,
  busybox,
  expectNothingLeft,
  inspect,
  lifecycleRoots,
  readState,
  removeAll,
  statusOf,
} from './lifecycle-helpers.js';
import { filesUnder } from './soak-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('onesup');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const N = 20;
const supervisors = () =>
  processesWith(`--run-root ${roots.runRoot} __supervise`).filter(
    (p) => !fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tspod-monitor'),
  );
const parentOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
/** Gone, or a zombie nobody reaped yet (its parent, PID 1 here, may be slow to). */
const ended = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
};
const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

/** A pod whose container says, from inside, its hostname and its pod's uid, then sleeps (or runs `then`). */
function sayer(name: string, then = 'exec sleep 1000', extra: object = {}): object {
  const env = [{ name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }];
  return pod(name, {
    terminationGracePeriodSeconds: 1,
    ...extra,
    containers: [busybox('c', `echo "$(hostname) $UID"; ${then}`, { env })],
  });
}

async function runDetached(manifest: object): Promise<void> {
  const r = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
  expect(r.code, r.stderr).toBe(0);
}

const logsOf = async (name: string) => (await tspod(roots, ['logs', name])).stdout;

/** The run root's own, made by the first detached pod and shared by every later one. */
const SHARED = [
  'run/exits/',
  'run/supervisor/',
  'run/supervisor/lock',
  'run/supervisor/start.lock',
  'run/supervisor/supervisor.log',
];

describe('one supervisor for the detached pods of a run root', () => {
  test(`${N} pods at once: one supervisor; ps, inspect and logs right for each; a crash and a stop touch no other; it leaves with the last; nothing left`, async () => {
    const filesBefore = filesUnder(roots);
    const names = Array.from({ length: N }, (_, i) => `at-once-${i}`);
    // Pod 0 crashes a moment after it started; every other one sleeps.
    await Promise.all(
      names.map((n, i) => runDetached(i === 0 ? sayer(n, 'sleep 1; exit 3', { restartPolicy: 'Never' }) : sayer(n))),
    );
    const states = names.map((n) => readState(roots, n));
    // Exactly one supervisor, the child of one monitor in host mode.
    expect(new Set(states.map((s) => s.supervisor.pid)).size).toBe(1);
    expect(supervisors()).toEqual([states[0]!.supervisor.pid]);
    const monitor = parentOf(states[0]!.supervisor.pid);
    expect(cmdline(monitor).slice(1, 3)).toEqual(['host', path.join(roots.runRoot, 'exits')]);

    const ps = (await tspod(roots, ['ps'])).stdout;
    for (const n of names.slice(1)) expect(ps).toMatch(new RegExp(`^${n}\\s+1/1\\s+Running\\s`, 'm'));
    for (const [i, n] of names.entries()) {
      const p = await inspect(roots, n);
      expect(p.metadata).toMatchObject({ name: n, uid: states[i]!.uid });
      expect(await waitFor(`the log of ${n}`, async () => (await logsOf(n)) || undefined)).toBe(
        `${n} ${states[i]!.uid}\n`,
      );
    }

    // The crash is its pod's alone.
    await waitFor('pod 0 to fail', async () =>
      (await inspect(roots, names[0]!)).status.phase === 'Failed' ? true : undefined,
    );
    expect(statusOf(await inspect(roots, names[0]!), 'c').state.terminated).toMatchObject({ exitCode: 3 });
    // A stop is its pod's alone.
    expect((await tspod(roots, ['stop', names[1]!])).code).toBe(0);
    const after = (await tspod(roots, ['ps', '-a'])).stdout;
    expect(after).toMatch(new RegExp(`^${names[1]}\\s+0/1\\s+(Completed|Error)\\s`, 'm'));
    for (const n of names.slice(2)) expect(after).toMatch(new RegExp(`^${n}\\s+1/1\\s+Running\\s`, 'm'));
    expect(alive(states[2]!.containers.c!.process!)).toBe(true);
    expect(alive(states[0]!.supervisor)).toBe(true);

    // Removed one after another: the supervisor stays while any pod is left, then leaves.
    for (const n of names.slice(0, -1)) expect((await tspod(roots, ['rm', '-f', n])).code).toBe(0);
    expect(alive(states[0]!.supervisor)).toBe(true);
    expect((await tspod(roots, ['rm', '-f', names.at(-1)!])).code).toBe(0);
    await waitFor('the supervisor to leave', () => !alive(states[0]!.supervisor) || undefined);
    await waitFor('its monitor to end', () => ended(monitor) || undefined);
    await expectNothingLeft(roots, states);
    const fresh = filesUnder(roots).filter((f) => !filesBefore.includes(f) && !SHARED.includes(f));
    expect(fresh.filter((f) => !['run/pods/', 'root/pods/', 'run/node.lock', 'run/netns/'].includes(f))).toEqual([]);
    expect(fs.readdirSync(path.join(roots.runRoot, 'exits'))).toEqual([]);
  }, 300_000);

  test('SIGKILL of the supervisor: every pod orphaned, an exit meanwhile recorded by the monitor, gc leaves nothing', async () => {
    const names = ['k0', 'k1', 'k2'];
    await Promise.all(
      names.map((n, i) =>
        runDetached(
          i === 0
            ? sayer(n, 'while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 4', { restartPolicy: 'Never' })
            : sayer(n),
        ),
      ),
    );
    const states = names.map((n) => readState(roots, n));
    const sup = states[0]!.supervisor;
    const monitor = parentOf(sup.pid);
    process.kill(sup.pid, 'SIGKILL');
    await waitFor('the supervisor to die', () => !alive(sup) || undefined);
    const ps = (await tspod(roots, ['ps'])).stdout;
    for (const n of names) expect(ps).toMatch(new RegExp(`^${n}\\s+\\S+\\s+Orphaned\\s`, 'm'));
    // Pod k0's container ends now, with nobody but the monitor to see it.
    expect((await tspod(roots, ['exec', 'k0', '--', 'touch', '/tmp/go'])).code).toBe(0);
    const c = await waitFor('the exit to be recorded', async () => {
      const s = statusOf(await inspect(roots, 'k0'), 'c');
      return 'terminated' in s.state ? s.state.terminated : undefined;
    });
    expect(c).toMatchObject({ exitCode: 4, reason: 'Error' });
    const ref = states[0]!.containers.c!.process!;
    expect(fs.existsSync(path.join(roots.runRoot, 'exits', `${ref.pid}-${ref.startTime}.json`))).toBe(true);
    expect(alive(states[1]!.containers.c!.process!)).toBe(true);

    const gc = await tspod(roots, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout.trim().split('\n').sort()).toEqual(names);
    await expectNothingLeft(roots, states);
    await waitFor('the monitor to end with its last child', () => ended(monitor) || undefined);
    expect(fs.readdirSync(path.join(roots.runRoot, 'exits'))).toEqual([]);
  }, 120_000);

  test('SIGKILL of the supervisor, then a new one: it adopts every orphan; the exit meanwhile restarts its container', async () => {
    const names = ['a0', 'a1', 'a2'];
    // a0's container exits 4 once told to (restartPolicy Always: it will be restarted).
    await Promise.all(
      names.map((n, i) =>
        runDetached(i === 0 ? sayer(n, 'while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 4') : sayer(n)),
      ),
    );
    const states = names.map((n) => readState(roots, n));
    process.kill(states[0]!.supervisor.pid, 'SIGKILL');
    await waitFor('the supervisor to die', () => !alive(states[0]!.supervisor) || undefined);
    expect((await tspod(roots, ['exec', 'a0', '--', 'touch', '/tmp/go'])).code).toBe(0);
    await waitFor(
      'a0 to be recorded as ended',
      async () => 'terminated' in statusOf(await inspect(roots, 'a0'), 'c').state || undefined,
    );
    // The next run -d starts a supervisor, which takes up the three orphans.
    await runDetached(sayer('a3'));
    const sup = readState(roots, 'a3').supervisor;
    expect(sup.pid).not.toBe(states[0]!.supervisor.pid);
    const ps = await waitFor(
      'every pod running again',
      async () => {
        const out = (await tspod(roots, ['ps'])).stdout;
        return names.every((n) => new RegExp(`^${n}\\s+1/1\\s+Running\\s`, 'm').test(out)) ? out : undefined;
      },
      30_000,
    );
    expect(ps).not.toMatch(/Orphaned/);
    for (const n of names) expect(readState(roots, n).supervisor.pid).toBe(sup.pid);
    // The others' containers are the same processes; a0's was restarted after its recorded exit.
    expect(readState(roots, 'a1').containers.c!.process).toEqual(states[1]!.containers.c!.process);
    const a0 = statusOf(await inspect(roots, 'a0'), 'c');
    expect(a0.restartCount).toBe(1);
    expect(a0.lastState.terminated).toMatchObject({ exitCode: 4 });
    expect(await logsOf('a1')).toBe(`a1 ${states[1]!.uid}\n`);
    const latest = [...names, 'a3'].map((n) => readState(roots, n));
    expect((await tspod(roots, ['stop', 'a1'])).code).toBe(0);
    expect((await tspod(roots, ['rm', '-f', ...names, 'a3'])).code).toBe(0);
    await expectNothingLeft(roots, [...states, ...latest]);
    // The adopted pods' processes were the old monitor's: it recorded their ends as rm killed them,
    // after rm had removed the pods' records; gc removes records no pod names.
    expect((await tspod(roots, ['gc'])).code).toBe(0);
    expect(fs.readdirSync(path.join(roots.runRoot, 'exits'))).toEqual([]);
  }, 120_000);

  test('SIGKILL of the monitor: reported on each pod; they run on; the next pod gets a new supervisor; nothing leaks', async () => {
    await Promise.all(['m0', 'm1'].map((n) => runDetached(sayer(n))));
    const states: PodState[] = ['m0', 'm1'].map((n) => readState(roots, n));
    const sup = states[0]!.supervisor;
    const monitor = parentOf(sup.pid);
    process.kill(monitor, 'SIGKILL');
    await waitFor('MonitorLost on each pod', async () => {
      const ev = await Promise.all(['m0', 'm1'].map(async (n) => (await tspod(roots, ['events', n])).stdout));
      return ev.every((e) => /Warning\s+MonitorLost\s+.*monitor of the supervisor .* is gone/.test(e)) || undefined;
    });
    expect(alive(sup)).toBe(true);
    expect((await tspod(roots, ['ps'])).stdout).toMatch(/^m1\s+1\/1\s+Running\s/m);
    expect(await logsOf('m1')).toBe(`m1 ${states[1]!.uid}\n`);
    // A new pod goes to a new supervisor, under a monitor of its own.
    await runDetached(sayer('m2'));
    const m2 = readState(roots, 'm2');
    expect(m2.supervisor.pid).not.toBe(sup.pid);
    expect(cmdline(parentOf(m2.supervisor.pid))[1]).toBe('host');
    expect((await tspod(roots, ['stop', 'm0'])).code).toBe(0);
    expect((await tspod(roots, ['rm', '-f', 'm0', 'm1', 'm2'])).code).toBe(0);
    await waitFor('the old supervisor to leave with its last pod', () => !alive(sup) || undefined);
    await expectNothingLeft(roots, [...states, m2]);
    expect(mountsUnder(roots.dir)).toEqual([]);
  }, 120_000);
});
