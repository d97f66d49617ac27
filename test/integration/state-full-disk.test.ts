/**
 * A full disk under the pod's state: the run root (`--run-root`, where state.json lives) is a
 * small tmpfs made by the test, and the test fills it while a detached pod runs. A container then
 * exits, and saving that is ENOSPC. The supervisor must supervise on (the pod is not Orphaned, the
 * stale state is reported once in its log), leave no temporary file, and save the state as soon
 * as there is room again, with a FailedStateSave event. A pod stopped while the disk is still full
 * is torn down all the same (nothing of it is left on the host); only its record is stale, and
 * `tspod gc` removes it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mountsUnder, pod, tspod, waitFor, type TestRoots } from './helpers.js';
import { alive, busybox, expectNothingLeft, lifecycleRoots, readState, statusOf } from './lifecycle-helpers.js';

let roots: TestRoots;
let small: string;
beforeAll(() => {
  roots = lifecycleRoots('fullstate');
  small = path.join(roots.dir, 'small-run');
  fs.mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tspod-test-fullstate', small]);
  roots = { ...roots, runRoot: small, env: { ...roots.env, TSPOD_RUN_ROOT: small } };
});
afterAll(() => {
  execFileSync('umount', ['-l', small]);
  fs.rmSync(roots.dir, { recursive: true, force: true });
});

const FILLER = () => path.join(small, 'filler');

/** Write the tmpfs full: the next write on it is ENOSPC. */
function fill(): void {
  const fd = fs.openSync(FILLER(), 'a');
  const chunk = Buffer.alloc(4096, 0x61);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
}

const supervisorLog = (name: string) => fs.readFileSync(path.join(roots.root, 'pods', name, 'supervisor.log'), 'utf8');
const strays = (name: string) => fs.readdirSync(path.join(small, 'pods', name)).filter((n) => n.includes('.tmp-'));
const FAILED = /saving the pod's state to .*state\.json failed \(ENOSPC: .*the pod is still supervised/g;

describe('a full disk under the state file', () => {
  test('the pod stays supervised, its state is saved once there is room, a stop still tears it down', async () => {
    const name = 'fullstate';
    const manifest = pod(name, {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 2,
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        busybox('waiter', 'while [ ! -e /data/go ]; do sleep 0.1; done; exit 3', {
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        }),
        busybox('sleeper', 'exec sleep 1000'),
      ],
    });
    const run = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
    expect(run.code, run.stderr).toBe(0);
    const first = readState(roots, name);

    fill();
    fs.writeFileSync(path.join(roots.root, 'pods', name, 'volumes', 'data', 'go'), '');
    await waitFor('the failed save in the supervisor log', () => FAILED.test(supervisorLog(name)) || undefined);
    // Still supervised: the supervisor lives, `ps` shows the pod running, not Orphaned.
    expect(alive(first.supervisor)).toBe(true);
    const ps = await tspod(roots, ['ps', '-a']);
    expect(ps.stdout).toMatch(new RegExp(`${name}\\s`));
    expect(ps.stdout).not.toMatch(/Orphaned/);
    // The disk holds the older state (waiter running); nothing half-written is left.
    expect(statusOf({ status: readState(roots, name).status }, 'waiter').state).toHaveProperty('running');
    expect(strays(name)).toEqual([]);

    fs.rmSync(FILLER());
    const saved = await waitFor('the state saved again', () => {
      const s = readState(roots, name);
      return 'terminated' in statusOf({ status: s.status }, 'waiter').state ? s : undefined;
    });
    expect(statusOf({ status: saved.status }, 'waiter').state.terminated.exitCode).toBe(3);
    await waitFor(
      'the StateSaved event',
      () => (readState(roots, name).events ?? []).some((e) => e.reason === 'StateSaved') || undefined,
    );
    const events = await tspod(roots, ['events', name]);
    expect(events.stdout).toMatch(/Warning\s+FailedStateSave/);
    expect(supervisorLog(name).match(FAILED)).toHaveLength(1);
    expect(strays(name)).toEqual([]);

    // Full again, and stopped: every container and the infra are stopped and undone all the same.
    fill();
    const stop = await tspod(roots, ['stop', name]);
    expect(stop.code, stop.stderr).toBe(0);
    await waitFor('the supervisor to exit', () => !alive(first.supervisor) || undefined);
    expect(supervisorLog(name)).toMatch(
      /the pod is torn down, but its record could not be saved \(ENOSPC.*"tspod gc" removes it/,
    );
    expect(supervisorLog(name)).not.toMatch(/^\s+at /m);
    // (The tmpfs itself is the test's: what is checked is below it, and under the data root.)
    expect(mountsUnder(small).filter((m) => m !== small)).toEqual([]);
    expect(mountsUnder(roots.root)).toEqual([]);
    fs.rmSync(FILLER());
    const gc = await tspod(roots, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    await expectNothingLeft({ ...roots, dir: path.join(small, 'pods') }, [saved]);
    expect(mountsUnder(roots.root)).toEqual([]);
  }, 90_000);
});
