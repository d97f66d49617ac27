/**
 * Exit records (state/exits.ts), written by the real `tspod-monitor host` (native/monitor_pod.c):
 * it is the subreaper of what its child starts, so a grandchild whose parent exits becomes its
 * child, and its exit is recorded (code or signal, the start time that tells a reused pid apart)
 * before it is reaped; the monitor ends when no child is left, with its child's status. An orphaned
 * pod's containers are then shown terminated as the record says.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MONITOR_BINARY } from '../../../src/paths.js';
import { withRecordedExits } from '../../../src/pods/pods.js';
import {
  readExitRecord,
  removeExitRecords,
  removeExitRecordsExcept,
  type ExitRecord,
} from '../../../src/state/exits.js';
import type { PodState } from '../../../src/state/types.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-exits-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true }));

/** Run `script` under the monitor; its status and the records, by pid. */
function underMonitor(script: string, exits = dir): { status: number | null; records: ExitRecord[]; out: string } {
  const r = spawnSync(MONITOR_BINARY, ['host', exits, '/bin/sh', '-c', script], { encoding: 'utf8' });
  const records = fs.existsSync(exits)
    ? fs.readdirSync(exits).map((f) => JSON.parse(fs.readFileSync(path.join(exits, f), 'utf8')) as ExitRecord)
    : [];
  return { status: r.status, records, out: r.stdout };
}

describe('tspod-monitor host', () => {
  test(
    'an orphan that exits is recorded with its code, one killed with its signal; ' + 'the monitor ends with its child',
    () => {
      // Two grandchildren outlive their parent (the shell): they become the monitor's.
      const { status, records, out } = underMonitor(
        "(sleep 0.2; exit 7) & echo $!; sh -c 'echo $$; sleep 0.3; kill -9 $$' & sleep 0.1; exit 3",
      );
      expect(status).toBe(3);
      const [coded, killed] = out.trim().split('\n').map(Number);
      const byPid = new Map(records.map((r) => [r.pid, r]));
      expect(byPid.get(coded)).toMatchObject({ code: 7, signal: null });
      expect(byPid.get(killed)).toMatchObject({ code: null, signal: 9 });
      for (const r of records) {
        expect(r.startTime).toBeGreaterThan(0);
        expect(r.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        // Named by pid and start time, read back by the same, and no temporary file left.
        expect(readExitRecord(dir, { pid: r.pid, startTime: r.startTime })).toEqual(r);
        expect(readExitRecord(dir, { pid: r.pid, startTime: r.startTime + 1 })).toBeUndefined();
      }
      expect(fs.readdirSync(dir).every((f) => /^\d+-\d+\.json$/.test(f))).toBe(true);
    },
  );

  test('a signal ending its child is its status as 128+N; no exits directory: nothing recorded, nothing made', () => {
    const missing = path.join(dir, 'not-yet');
    const { status } = underMonitor('kill -TERM $$', missing);
    expect(status).toBe(128 + 15);
    expect(fs.existsSync(missing)).toBe(false);
  });

  test("its own child (the supervisor) is not recorded: it is no pod's", () => {
    const { status, records, out } = underMonitor('echo $$; (sleep 0.1; exit 5) & exit 0');
    expect(status).toBe(0);
    const shell = Number(out.trim().split('\n')[0]);
    expect(records.map((r) => r.pid)).not.toContain(shell);
    expect(records.map((r) => r.code)).toEqual([5]);
  });

  test('a SIGTERM to the monitor is passed on to its child (the supervisor); the monitor ends after it', async () => {
    const child = spawn(
      MONITOR_BINARY,
      ['host', dir, '/bin/sh', '-c', 'trap "echo stopped; exit 9" TERM; echo up; while true; do sleep 0.05; done'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('up')) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(9);
    expect(out).toBe('up\nstopped\n');
  });

  test('a usage error is status 2', () => {
    expect(spawnSync(MONITOR_BINARY, ['host', 'relative', '/bin/true']).status).toBe(2);
  });
});

describe('an orphaned pod with exit records', () => {
  test('a container recorded as running but whose exit was recorded is shown terminated', () => {
    const ref = { pid: 4242, startTime: 99 };
    fs.writeFileSync(
      path.join(dir, '4242-99.json'),
      JSON.stringify({ ...ref, code: null, signal: 9, finishedAt: '2026-12-02T06:00:01.123456789Z' }),
    );
    const running = (name: string) => ({
      name,
      state: { running: { startedAt: '2026-12-02T06:00:00.000Z' } },
      lastState: {},
      ready: true,
      started: true,
      restartCount: 1,
      image: 'busybox',
      imageID: 'sha256:x',
      containerID: `tspod://${name}`,
    });
    const state = {
      containers: { a: { instance: 1, process: ref }, b: { instance: 0, process: { pid: 4243, startTime: 99 } } },
      status: { initContainerStatuses: [], containerStatuses: [running('a'), running('b')] },
    } as unknown as PodState;
    withRecordedExits(state, dir);
    const [a, b] = state.status.containerStatuses;
    expect(a.state).toEqual({
      terminated: {
        exitCode: 137,
        signal: 9,
        reason: 'Error',
        startedAt: '2026-12-02T06:00:00.000Z',
        finishedAt: '2026-12-02T06:00:01.123Z',
        containerID: 'tspod://a',
      },
    });
    expect([a.ready, a.started, a.restartCount]).toEqual([false, false, 1]);
    expect(b.state).toEqual({ running: { startedAt: '2026-12-02T06:00:00.000Z' } });
  });
});

describe('exit records of a run root', () => {
  const write = (name: string) => fs.writeFileSync(path.join(dir, name), '{}');

  test("a pod's records go with it; gc keeps those a pod names and fresh temporary files, and removes the rest", () => {
    for (const n of ['10-100.json', '11-110.json', '12-120.json', '.13-130.tmp', '.14-140.tmp']) write(n);
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(path.join(dir, '.14-140.tmp'), old, old);
    removeExitRecords(dir, [
      { pid: 10, startTime: 100 },
      { pid: 99, startTime: 1 },
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(['.13-130.tmp', '.14-140.tmp', '11-110.json', '12-120.json']);
    const removed = removeExitRecordsExcept(dir, (ref) => ref.pid === 11 && ref.startTime === 110);
    expect(removed).toBe(2);
    expect(fs.readdirSync(dir).sort()).toEqual(['.13-130.tmp', '11-110.json']);
    expect(removeExitRecordsExcept(path.join(dir, 'missing'), () => false)).toBe(0);
  });
});
