/**
 * Crash safety: a detached supervisor killed with SIGKILL leaves its pod running unsupervised;
 * `tspod ps` says it is orphaned, and `tspod gc` (or `rm -f`) removes every process, mount, netns
 * pin, IP lease, cgroup and file it left. This file uses the default CNI network, so that the
 * network's leftovers (pin, veth, lease) are part of what must go.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { PodState } from '../../src/state/types.js';
import { mountsUnder, pod, removeRoots, start, tspod, waitFor, type TestRoots } from './helpers.js';
import { alive, busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('gc');
  for (const need of ['/usr/lib/cni/bridge', '/usr/lib/cni/host-local']) {
    if (!fs.existsSync(need))
      throw new Error(`these tests need the CNI plugins (${need}): apt-get install containernetworking-plugins`);
  }
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const leaseFile = (ip: string) => path.join('/var/lib/cni/networks/tspod', ip);
const links = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });

/** A pod with a memory emptyDir (a host mount), a container that forks, and the default network. */
async function orphan(name: string): Promise<PodState> {
  const manifest = pod(name, {
    volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }],
    containers: [
      busybox('a', 'sleep 1000 & echo started; exec sleep 1000', {
        volumeMounts: [{ name: 'mem', mountPath: '/mem' }],
      }),
      busybox('b', 'exec sleep 1000'),
    ],
  });
  const res = await tspod(roots, ['run', '-d', '-'], JSON.stringify(manifest));
  expect(res.code, res.stderr).toBe(0);
  const state = readState(roots, name);
  expect(state.status.podIP, 'the pod got an IP from the default network').toBeTruthy();
  process.kill(state.supervisor.pid, 'SIGKILL');
  await waitFor('the supervisor to die', () => !alive(state.supervisor) || undefined);
  return state;
}

function expectLeftBehind(state: PodState): void {
  expect(alive(state.infra!)).toBe(true);
  expect(alive(state.containers.a.process!)).toBe(true);
  expect(mountsUnder(roots.dir).length).toBeGreaterThanOrEqual(3); // shm, the memory emptyDir, the netns pin
  expect(fs.existsSync(leaseFile(state.status.podIP!))).toBe(true);
}

function expectNetworkGone(state: PodState): void {
  expect(fs.existsSync(leaseFile(state.status.podIP!))).toBe(false);
  const result = (state.network as { result?: { interfaces?: { name: string; sandbox?: string }[] } }).result;
  for (const i of result?.interfaces ?? [])
    if (!i.sandbox && i.name.startsWith('veth')) expect(links()).not.toContain(`${i.name}@`);
}

describe('a pod whose supervisor was killed', () => {
  test('shows as orphaned; rm refuses it; gc removes everything it left', async () => {
    const state = await orphan('crashed');
    expectLeftBehind(state);
    const ps = await tspod(roots, ['ps']);
    expect(ps.stdout).toMatch(/^crashed\s+0\/2\s+Orphaned\s/m);
    const inspected = JSON.parse((await tspod(roots, ['inspect', 'crashed'])).stdout);
    expect(inspected.status).toMatchObject({ phase: 'Unknown', reason: 'Orphaned' });
    const stop = await tspod(roots, ['stop', 'crashed']);
    expect(stop.code).toBe(125);
    expect(stop.stderr).toMatch(/orphaned/);
    const rm = await tspod(roots, ['rm', 'crashed']);
    expect(rm.code).toBe(125);
    expect(rm.stderr).toMatch(/tspod gc/);

    const gc = await tspod(roots, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toBe('crashed\n');
    await expectNothingLeft(roots, [state]);
    expectNetworkGone(state);
    expect((await tspod(roots, ['gc'])).stdout).toBe('');
  });

  test('rm -f removes an orphaned pod too; gc leaves running and kept pods alone', async () => {
    // A pod supervised by a process that is not killed: a foreground run (the detached pods of a
    // run root share one supervisor, which orphan() kills).
    const running = start(
      roots,
      ['run', '--network', 'none', '-'],
      JSON.stringify(pod('alive', { containers: [busybox('a', 'echo up; exec sleep 1000')] })),
    );
    await waitFor('the foreground pod to run', () => running.output().includes('a | up') || undefined);
    const kept = await tspod(
      roots,
      ['run', '--keep', '--network', 'none', '-'],
      JSON.stringify(pod('kept', { restartPolicy: 'Never', containers: [busybox('a', 'true')] })),
    );
    expect(kept.code, kept.stderr).toBe(0);
    const state = await orphan('crashed-too');
    expectLeftBehind(state);
    expect((await tspod(roots, ['gc'])).stdout).toBe('crashed-too\n');
    expect(alive(readState(roots, 'alive').containers.a.process!)).toBe(true);
    expect((await tspod(roots, ['ps', '-a'])).stdout).toMatch(/^kept\s+0\/1\s+Completed\s/m);

    const again = await orphan('crashed-again');
    const rm = await tspod(roots, ['rm', '-f', 'crashed-again']);
    expect(rm.code, rm.stderr).toBe(0);
    for (const p of [again.infra!, again.containers.a.process!, again.containers.b.process!])
      expect(alive(p)).toBe(false);
    expectNetworkGone(again);
    const others = [readState(roots, 'alive'), readState(roots, 'kept')];
    expect((await tspod(roots, ['rm', '-f', 'alive', 'kept'])).code).toBe(0);
    await running.done;
    await expectNothingLeft(roots, [state, again, ...others]);
  });
});
