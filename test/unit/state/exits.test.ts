/**
 * Exit records (state/exits.ts), written by the real `tspod-monitor pod` (native/monitor_pod.c):
 * it is the subreaper of what its child starts, so a grandchild whose parent exits becomes its
 * child, and its exit is recorded (code or signal, the start time that tells a reused pid apart)
 * before it is reaped; the monitor ends when no child is left, with its child's status. An orphaned
 * pod's containers are then shown terminated as the record says.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MONITOR_BINARY } from '../../../src/paths.js';
import { withRecordedExits } from '../../../src/pods/pods.js';
import { readExitRecord, type ExitRecord } from '../../../src/state/exits.js';
import type { PodState } from '../../../src/state/types.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-exits-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true }));

/** Run `script` under the monitor; its status and the records, by pid. */
function underMonitor(script: string, exits = dir): { status: number | null; records: ExitRecord[]; out: string } {
  const r = spawnSync(MONITOR_BINARY, ['pod', exits, '/bin/sh', '-c', script], { encoding: 'utf8' });
  const records = fs.existsSync(exits) ? fs.readdirSync(exits).map((f) => JSON.parse(fs.readFileSync(path.join(exits, f), 'utf8')) as ExitRecord) : [];
  return { status: r.status, records, out: r.stdout };
}

describe('tspod-monitor pod', () => {
  test('an orphan that exits is recorded with its code, one killed with its signal; the monitor ends with its child', () => {
    // Two grandchildren outlive their parent (the shell): they become the monitor's.
    const { status, records, out } = underMonitor('(sleep 0.2; exit 7) & echo $!; sh -c \'echo $$; sleep 0.3; kill -9 $$\' & sleep 0.1; exit 3');
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
  });

  test('a signal ending its child is its status as 128+N; no exits directory: nothing recorded, nothing made', () => {
    const missing = path.join(dir, 'not-yet');
    const { status } = underMonitor('kill -TERM $$', missing);
    expect(status).toBe(128 + 15);
    expect(fs.existsSync(missing)).toBe(false);
  });

  test('a usage error is status 2', () => {
    expect(spawnSync(MONITOR_BINARY, ['pod', 'relative', '/bin/true']).status).toBe(2);
  });
});

describe('an orphaned pod with exit records', () => {
  test('a container recorded as running but whose exit was recorded is shown terminated', () => {
    const ref = { pid: 4242, startTime: 99 };
    fs.writeFileSync(path.join(dir, '4242-99.json'), JSON.stringify({ ...ref, code: null, signal: 9, finishedAt: '2026-12-02T06:00:01.123456789Z' }));
    const running = (name: string) => ({ name, state: { running: { startedAt: '2026-12-02T06:00:00.000Z' } }, lastState: {}, ready: true, started: true, restartCount: 1, image: 'busybox', imageID: 'sha256:x', containerID: `tspod://${name}` });
    const state = {
      containers: { a: { instance: 1, process: ref }, b: { instance: 0, process: { pid: 4243, startTime: 99 } } },
      status: { initContainerStatuses: [], containerStatuses: [running('a'), running('b')] },
    } as unknown as PodState;
    withRecordedExits(state, dir);
    const [a, b] = state.status.containerStatuses;
    expect(a.state).toEqual({ terminated: { exitCode: 137, signal: 9, reason: 'Error', startedAt: '2026-12-02T06:00:00.000Z', finishedAt: '2026-12-02T06:00:01.123Z', containerID: 'tspod://a' } });
    expect([a.ready, a.started, a.restartCount]).toEqual([false, false, 1]);
    expect(b.state).toEqual({ running: { startedAt: '2026-12-02T06:00:00.000Z' } });
  });
});
