/**
 * Exit records: how a pod's processes ended while no supervisor could see it.
 *
 * A detached pod's supervisor runs under `tspod-monitor pod` (native/monitor_pod.c), the
 * subreaper of everything the supervisor starts: if the supervisor dies, its children (the pause
 * process, the containers, their log monitors) become the monitor's, and the monitor writes each
 * one's exit status, before reaping it, to `<run dir>/exits/<pid>-<start time>.json` (written,
 * fsync'd, renamed): `{"pid", "startTime", "code", "signal", "finishedAt"}`, code or signal null.
 * The start time (field 22 of /proc/PID/stat) tells a recycled pid apart, as in ProcessRef.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessRef } from './types.js';

export interface ExitRecord {
  pid: number;
  startTime: number;
  code: number | null;
  signal: number | null;
  /** RFC 3339 with nanoseconds */
  finishedAt: string;
}

/** The record of this exact process's exit, if the monitor wrote one. */
export function readExitRecord(exitsDir: string, ref: ProcessRef): ExitRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(exitsDir, `${ref.pid}-${ref.startTime}.json`), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as ExitRecord;
    return r.pid === ref.pid && r.startTime === ref.startTime ? r : undefined;
  } catch {
    return undefined; // (never torn: the name appears only once the record is whole)
  }
}
