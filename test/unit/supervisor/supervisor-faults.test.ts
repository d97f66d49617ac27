/**
 * No I/O error orphans a pod: a whole pod run by runPod against a pretend host (fault-host.ts),
 * with faults injected at the state file's writes (the StateFs seam: ENOSPC, EIO, EPIPE at the
 * write and at the rename), at the terminal (a sink that throws) and into the process (an uncaught
 * exception). The pod must stay supervised, the failure be reported (a warning line, an event),
 * nothing be left half-done (no temporary files), and an uncaught error must stop and tear down
 * the pod rather than leave it.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import { runPod, type RunningPod } from '../../../src/supervisor/run-pod.js';
import { guardPod } from '../../../src/supervisor/last-resort.js';
import { realStateFs, type StateFs } from '../../../src/state/store.js';
import { podLayout } from '../../../src/layout.js';
import type { PodState } from '../../../src/state/types.js';
import { FaultHost, pretendWorld } from './fault-host.js';

const world = pretendWorld('tspod-svfault-', () => new FaultHost());

const fault = (code: string, syscall: string, file: string) =>
  Object.assign(new Error(`${code}: injected, ${syscall} '${file}'`), { code, syscall, path: file });

/** A StateFs that fails `code` at `at` (write or rename) while `failing.on`. */
function faultyFs(code: string, at: 'writeFile' | 'rename') {
  const failing = { on: false, attempts: 0 };
  const sfs: StateFs = {
    writeFile: async (f, d, m) => {
      if (failing.on) failing.attempts++;
      if (failing.on && at === 'writeFile') {
        await fs.promises.writeFile(f, d.slice(0, 10), { mode: m }); // the disk filled mid-write
        throw fault(code, 'write', f);
      }
      return realStateFs.writeFile(f, d, m);
    },
    rename: async (a, b) => {
      if (failing.on && at === 'rename') throw fault(code, 'rename', a);
      return realStateFs.rename(a, b);
    },
    rm: realStateFs.rm,
  };
  return { sfs, failing };
}

function pod(restartPolicy = 'Never') {
  return validatePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      restartPolicy,
      containers: [
        { name: 'a', image: 'busybox', command: ['true'] },
        { name: 'b', image: 'busybox', command: ['true'] },
      ],
    },
  }).pod;
}

async function start(sfs: StateFs, warnings: string[], sink = () => undefined as void): Promise<RunningPod> {
  const { image } = world;
  let started!: () => void;
  const ready = new Promise<void>((r) => (started = r));
  const running = await runPod({
    roots: world.roots,
    pod: pod(),
    images: { a: image, b: image },
    network: 'none',
    keep: true,
    host: world.host,
    stateFs: sfs,
    sink,
    explain: () => undefined,
    warn: (l) => warnings.push(l),
    onStarted: () => started(),
  });
  await ready;
  return running;
}

const onDisk = (): PodState => JSON.parse(fs.readFileSync(podLayout(world.roots, 'p').stateFile, 'utf8')) as PodState;
const strays = () => fs.readdirSync(podLayout(world.roots, 'p').runDir).filter((n) => n.includes('.tmp-'));
const until = async (what: string, cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const stateOf = (s: PodState, name: string) => s.status.containerStatuses.find((c) => c.name === name)!.state;

describe('a state save that fails while the pod runs', () => {
  for (const [code, at] of [
    ['ENOSPC', 'writeFile'],
    ['EIO', 'writeFile'],
    ['EPIPE', 'writeFile'],
    ['ENOSPC', 'rename'],
    ['EIO', 'rename'],
  ] as const) {
    test(`${code} at ${at}: the pod stays supervised, the failure is reported once, the save is retried`, async () => {
      const warnings: string[] = [];
      const { sfs, failing } = faultyFs(code, at);
      const running = await start(sfs, warnings);
      let ended = false;
      void running.done.then(() => (ended = true));
      failing.on = true;
      world.host.exit(1, 3); // container "a" (the infra is process 0) exits with 3: a status save
      await until('the failed save', () => warnings.some((w) => w.includes("saving the pod's state")));
      // Supervised still: the disk holds the older state, the supervisor knows better.
      expect(ended).toBe(false);
      expect('running' in stateOf(onDisk(), 'a')).toBe(true);
      expect(strays()).toEqual([]);
      await until('a retry', () => failing.attempts >= 2, 10_000);
      expect(warnings.filter((w) => w.includes("saving the pod's state"))).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`failed \\(${code}: injected.*the pod is still supervised`));
      failing.on = false;
      await until('the retried save', () => 'terminated' in stateOf(onDisk(), 'a'));
      expect(stateOf(onDisk(), 'a')).toMatchObject({ terminated: { exitCode: 3 } });
      await until('the events saved', () => (onDisk().events ?? []).some((e) => e.reason === 'StateSaved'));
      const ev = onDisk().events!.find((e) => e.reason === 'FailedStateSave')!;
      expect(ev).toMatchObject({ type: 'Warning', count: 1 });
      expect(strays()).toEqual([]);
      // And it still stops as a pod does, torn down, its final state on disk.
      running.stop(0);
      expect(await running.done).toBe(3);
      expect(onDisk().tornDown).toBe(true);
      expect(world.host.names()).toContain('removeCgroups');
    }, 30_000);
  }

  test('a pod stopped while every save fails is still torn down; the stale record is reported', async () => {
    const warnings: string[] = [];
    const { sfs, failing } = faultyFs('ENOSPC', 'writeFile');
    const running = await start(sfs, warnings);
    failing.on = true;
    running.stop(0);
    expect(await running.done).toBe(143); // SIGTERM ended them (the grace of 0 had no time to SIGKILL)
    // The pod's processes were signalled and its host objects undone, whatever the disk said.
    expect(world.host.calls.filter((c) => c[0] === 'signal')).toHaveLength(3);
    expect(world.host.names().slice(-8)).toEqual(expect.arrayContaining(['umount', 'removeCgroups']));
    expect(
      warnings.some((w) => /torn down, but its record could not be saved .*ENOSPC.*"tspod gc" removes it/.test(w)),
    ).toBe(true);
    expect(strays()).toEqual([]);
  }, 30_000);
});

describe('the terminal of a foreground run', () => {
  test('a sink that throws (the terminal failed) stops neither the pod nor its log', async () => {
    const warnings: string[] = [];
    const running = await start(realStateFs, warnings, () => {
      throw fault('EIO', 'write', '/dev/tty');
    });
    fs.writeSync(world.host.outputs[1]![0]!, 'one\ntwo\n');
    world.host.exit(1, 0);
    await until('a recorded as exited', () => 'terminated' in stateOf(onDisk(), 'a'));
    const log = fs.readFileSync(podLayout(world.roots, 'p').log('a', 0), 'utf8');
    expect(log).toMatch(/ stdout F one\n.* stdout F two\n$/);
    running.stop(0);
    await running.done;
  }, 30_000);
});

describe('the last resort', () => {
  for (const kind of ['uncaughtException', 'unhandledRejection']) {
    test(`an ${kind} stops the pod and tears it down, then ends the process with 125`, async () => {
      const warnings: string[] = [];
      const running = await start(realStateFs, warnings);
      const emitter = new EventEmitter();
      const exited = new Promise<number>((resolve) =>
        guardPod(running, { warn: (l) => warnings.push(l), exit: resolve, on: emitter }),
      );
      emitter.emit(kind, new TypeError('boom'));
      emitter.emit(kind, new TypeError('again')); // one abort, however many errors
      expect(await exited).toBe(125);
      // Stopped (both containers and the infra signalled), torn down, reported.
      expect(world.host.calls.filter((c) => c[0] === 'signal').map((c) => c[2])).toEqual([15, 15, 15]);
      expect(world.host.names()).toEqual(expect.arrayContaining(['removeCgroups', 'umount']));
      expect(onDisk()).toMatchObject({ tornDown: true });
      expect(onDisk().events!.find((e) => e.reason === 'SupervisorFailed')?.message).toMatch(/boom/);
      expect(warnings.filter((w) => w.includes('the supervisor failed'))).toHaveLength(1);
      expect(warnings.some((w) => w.includes('again'))).toBe(true);
      expect(fs.existsSync(podLayout(world.roots, 'p').controlSocket)).toBe(false);
    }, 30_000);
  }
});
