/**
 * Adoption without root (supervisor/adopt.ts): a pod is run by runPod against the pretend host
 * (fault-host.ts) until it is where the test wants it; then its supervisor "dies": the state on
 * disk and the host (processes, cgroups, mounts) are put back as they were at that moment, as a
 * SIGKILL would have left them, and the test plays the pod's monitor (writing exit records). A
 * new supervisor (adoptPod) then takes the pod up. Checked: exits recorded before the adoption
 * are taken oldest first; a recycled pid is refused (neither watched nor signalled); the back-off
 * goes on from its count, a back-off under way waits out only what is left of it; the adopted pod
 * ends and is torn down from its ledger, leaving nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import type { NativePlan } from '../../../src/kernel.js';
import { hostLayout } from '../../../src/layout.js';
import { adoptPod } from '../../../src/supervisor/adopt.js';
import { runPod } from '../../../src/supervisor/run-pod.js';
import type { PodState } from '../../../src/state/types.js';
import type { ExitStatus } from '../../../src/kernel.js';
import { FaultHost, pretendWorld } from './fault-host.js';

/** A FaultHost with the pod's monitor: the end of a process the dead supervisor left is recorded. */
class MonitoredHost extends FaultHost {
  /** pid → [start time, the exits directory] of the processes the monitor has inherited */
  readonly orphans = new Map<number, [number, string]>();
  protected override ended(pid: number, status: ExitStatus): void {
    const orphan = this.orphans.get(pid);
    if (orphan) writeRecord(orphan[1], { pid, startTime: orphan[0] }, status, new Date().toISOString());
    super.ended(pid, status);
  }
}

function writeRecord(
  exitsDir: string,
  ref: { pid: number; startTime: number },
  exit: { code: number | null; signal: number | null },
  finishedAt: string,
): void {
  const body = { ...ref, code: exit.code, signal: exit.signal, finishedAt };
  fs.mkdirSync(exitsDir, { recursive: true });
  fs.writeFileSync(path.join(exitsDir, `${ref.pid}-${ref.startTime}.json`), JSON.stringify(body));
}

const BASE_MS = 200;

const world = pretendWorld('tspod-adopt-', () => new MonitoredHost());
let backoff: string | undefined;
beforeAll(() => {
  backoff = process.env.TSPOD_BACKOFF_BASE_MS;
  process.env.TSPOD_BACKOFF_BASE_MS = String(BASE_MS);
});
afterAll(() => {
  if (backoff === undefined) delete process.env.TSPOD_BACKOFF_BASE_MS;
  else process.env.TSPOD_BACKOFF_BASE_MS = backoff;
});

type C = { name: string; command: string[] };
const c = (name: string): C => ({ name, command: ['sh', '-c', name] });
const quiet = { explain: () => undefined, warn: () => undefined };

function start(restartPolicy: string, containers: C[]) {
  const pod = validatePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { restartPolicy, containers: containers.map((x) => ({ ...x, image: 'busybox' })) },
  }).pod;
  const images = Object.fromEntries(pod.spec.containers.map((x) => [x.name, world.image]));
  return runPod({ roots: world.roots, pod, images, network: 'none', keep: true, host: world.host, ...quiet });
}

const commandOf = (plan: NativePlan) => {
  const exec = plan.ops.find((o) => o.op === 'exec');
  return exec?.op === 'exec' ? exec.argv[exec.argv.length - 1]! : '?';
};
const spawned = () => world.host.calls.filter((x) => x[0] === 'spawn').map((x) => commandOf(x[1] as NativePlan));
const until = async (what: string, cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (spawned: ${spawned().join(', ')})`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const stateFile = () => path.join(world.roots.runRoot, 'pods', 'p', 'state.json');
const onDisk = (): PodState => JSON.parse(fs.readFileSync(stateFile(), 'utf8')) as PodState;
const statusOf = (s: PodState, name: string) => s.status.containerStatuses.find((x) => x.name === name)!;
const pidOf = (s: PodState, name: string) => s.containers[name]!.process!.pid;

/**
 * The supervisor dies now: what it saved and what the world.host holds stay as they are, and the test
 * has the pod's processes for itself. (Its log monitors are the test process's own: not recorded,
 * as an older tspod's state would have it.) `meanwhile` runs while no supervisor lives.
 */
async function killSupervisor(
  running: Awaited<ReturnType<typeof start>>,
  meanwhile: (s: PodState) => void = () => undefined,
): Promise<PodState> {
  await new Promise((r) => setTimeout(r, 50)); // (the last status save reaches the disk)
  const saved = onDisk();
  for (const rec of Object.values(saved.containers)) delete rec.logMonitor;
  const h = world.host.world;
  const kept = {
    processes: [...h.processes],
    cgroups: [...h.cgroups],
    dirs: [...h.dirs],
    files: [...h.files],
    mounts: [...h.mounts],
  };
  // (The supervisor is made to go away by a stop; then the world.host is put back as the kill left it.)
  running.stop(0);
  await running.done;
  for (const p of kept.processes) h.processes.add(p);
  for (const cg of kept.cgroups) h.cgroups.add(cg);
  for (const d of kept.dirs) h.dirs.add(d);
  for (const [f, v] of kept.files) h.files.set(f, v);
  h.mounts.splice(0, h.mounts.length, ...kept.mounts);
  fs.writeFileSync(stateFile(), JSON.stringify(saved));
  // The monitor inherits them: it records how each ends.
  const exits = hostLayout(world.roots).exitsDir;
  for (const ref of [saved.infra!, ...Object.values(saved.containers).flatMap((r) => (r.process ? [r.process] : []))])
    world.host.orphans.set(ref.pid, [ref.startTime, exits]);
  world.host.calls.length = 0;
  meanwhile(saved);
  return saved;
}

/** The pod's monitor's part: process `pid` ended, recorded as monitor_pod.c writes it. */
function monitorRecords(
  s: PodState,
  name: string,
  exit: { code: number | null; signal?: number },
  finishedAt: string,
): void {
  const ref = s.containers[name]!.process!;
  world.host.world.processes.delete(ref.pid);
  writeRecord(hostLayout(world.roots).exitsDir, ref, { code: exit.code, signal: exit.signal ?? null }, finishedAt);
}

describe('adopting a pod whose supervisor died', () => {
  test('exits recorded while no supervisor lived are taken oldest first, with their codes and times; the pod ends and is torn down', async () => {
    const running = await start('Never', [c('a'), c('b')]);
    await until('a and b', () => spawned().includes('a') && spawned().includes('b'));
    const before = await killSupervisor(running, (s) => {
      monitorRecords(s, 'a', { code: 3 }, '2026-12-02T10:00:02.000000002Z');
      monitorRecords(s, 'b', { code: 0 }, '2026-12-02T10:00:01.000000001Z');
    });
    const adopted = await adoptPod({ roots: world.roots, name: 'p', host: world.host, ...quiet });
    expect(await adopted.done).toBe(3);
    const after = onDisk();
    expect(statusOf(after, 'a').state).toMatchObject({
      terminated: { exitCode: 3, reason: 'Error', finishedAt: '2026-12-02T10:00:02.000Z' },
    });
    expect(statusOf(after, 'b').state).toMatchObject({
      terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2026-12-02T10:00:01.000Z' },
    });
    // b ended first: its instance was cleaned up first.
    const cleaned = world.host.calls
      .filter((x) => x[0] === 'removeCgroups')
      .map((x) =>
        String((x[1] as string[])[0])
          .split('/')
          .pop(),
      );
    expect(cleaned.slice(0, 2)).toEqual(['b-0', 'a-0']);
    // Nothing was signalled but the infra (teardown): the containers had ended.
    expect(world.host.calls.filter((x) => x[0] === 'signal').map((x) => x[1])).not.toContain(pidOf(before, 'a'));
    expect(after.status.phase).toBe('Failed');
    expect(after.tornDown).toBe(true);
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);

  test('a recycled pid is refused: not watched, not signalled; the instance counts as lost (ContainerStatusUnknown, 137)', async () => {
    const running = await start('Never', [c('a'), c('b')]);
    await until('a and b', () => spawned().includes('a') && spawned().includes('b'));
    const before = await killSupervisor(running, (s) => {
      // a's pid now names another process (another start time), and no record says how a ended.
      world.host.world.startTimes.set(pidOf(s, 'a'), s.containers.a!.process!.startTime + 1);
    });
    const adopted = await adoptPod({ roots: world.roots, name: 'p', host: world.host, ...quiet });
    await until('a recorded as lost', () => 'terminated' in statusOf(onDisk(), 'a').state);
    expect(statusOf(onDisk(), 'a').state).toMatchObject({
      terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' },
    });
    // b is the same process: adopted, running, ended by the stop.
    expect(statusOf(onDisk(), 'b').state).toHaveProperty('running');
    adopted.stop(0);
    await adopted.done;
    const signalled = world.host.calls.filter((x) => x[0] === 'signal').map((x) => x[1]);
    expect(signalled).toContain(pidOf(before, 'b'));
    expect(signalled).not.toContain(pidOf(before, 'a'));
    // (The opened pidfd of the other process was closed at once.)
    expect(world.host.calls.filter((x) => x[1] === pidOf(before, 'a')).map((x) => x[0])).toEqual([
      'pidfdOpen',
      'closeFd',
    ]);
  }, 30_000);

  test('the back-off goes on from its count: an exit while no supervisor lived waits twice the base, then the restart count is 2', async () => {
    const running = await start('Always', [c('a')]);
    await until('a', () => spawned().includes('a'));
    world.host.exit(spawned().indexOf('a'), 1);
    await until('a again', () => spawned().filter((x) => x === 'a').length === 2);
    await until(
      'the restart saved',
      () => statusOf(onDisk(), 'a').restartCount === 1 && 'running' in statusOf(onDisk(), 'a').state,
    );
    const exitAt = new Date();
    await killSupervisor(running, (s) => monitorRecords(s, 'a', { code: 3 }, exitAt.toISOString()));
    const adopted = await adoptPod({ roots: world.roots, name: 'p', host: world.host, ...quiet });
    await until('the back-off', () => 'waiting' in statusOf(onDisk(), 'a').state);
    expect(statusOf(onDisk(), 'a').state).toEqual({
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${(2 * BASE_MS) / 1000}s restarting failed container=a`,
      },
    });
    expect(statusOf(onDisk(), 'a').lastState).toMatchObject({ terminated: { exitCode: 3 } });
    await until('a restarted', () => 'running' in statusOf(onDisk(), 'a').state);
    const a = statusOf(onDisk(), 'a');
    expect(a.restartCount).toBe(2);
    // Counted from the recorded exit, as the kubelet counts it: not sooner.
    expect(
      Date.parse((a.state as { running: { startedAt: string } }).running.startedAt) - exitAt.getTime(),
    ).toBeGreaterThanOrEqual(2 * BASE_MS);
    expect(onDisk().containers.a!.backoff).toEqual({ count: 2 });
    adopted.stop(0);
    await adopted.done;
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);

  test('a back-off under way when the supervisor died: the restart comes once, when it was due', async () => {
    process.env.TSPOD_BACKOFF_BASE_MS = '1000';
    try {
      const running = await start('Always', [c('a')]);
      await until('a', () => spawned().includes('a'));
      world.host.exit(spawned().indexOf('a'), 1);
      await until('the back-off saved', () => !!onDisk().containers.a?.backoff?.restartAt);
      const saved = await killSupervisor(running);
      const due = Date.parse(saved.containers.a!.backoff!.restartAt!);
      const adopted = await adoptPod({ roots: world.roots, name: 'p', host: world.host, ...quiet });
      await until('a restarted', () => spawned().includes('a'));
      expect(Date.now()).toBeGreaterThanOrEqual(due);
      await new Promise((r) => setTimeout(r, 300));
      expect(spawned()).toEqual(['a']);
      expect(statusOf(onDisk(), 'a').restartCount).toBe(1);
      adopted.stop(0);
      await adopted.done;
      expect(world.host.leftovers([])).toEqual([]);
    } finally {
      process.env.TSPOD_BACKOFF_BASE_MS = String(BASE_MS);
    }
  }, 30_000);
});
