/**
 * Exit records: how a pod's processes ended while no supervisor could see it.
 *
 * The one supervisor of a run root's detached pods runs under `tspod-monitor host`
 * (native/monitor_pod.c), the subreaper of everything the supervisor starts: if the supervisor
 * dies, its children (the pause processes, the containers, their log monitors) become the
 * monitor's, and the monitor writes each one's exit status, before reaping it, to
 * `<run root>/exits/<pid>-<start time>.json` (written, fsync'd, renamed):
 * `{"pid", "startTime", "code", "signal", "finishedAt"}`, code or signal null. The start time
 * (field 22 of /proc/PID/stat) tells a recycled pid apart, as in ProcessRef; pid and start time
 * together are unique on the host, so one directory holds every pod's records, and a pod's are
 * found by the ProcessRefs of its state. They go with the pod (`rm`, `gc`); `gc` also removes
 * those of processes no pod of the run root names (removeExitRecordsExcept).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PodState, ProcessRef } from './types.js';

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

const TMP_GRACE_MS = 60_000;

function olderThan(file: string, ms: number): boolean {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return !!st && Date.now() - st.mtimeMs > ms;
}

const RECORD_NAME = /^(\d+)-(\d+)\.json$/;

/** Remove the records of these processes (a pod being removed); a missing one is not an error. */
export function removeExitRecords(exitsDir: string, refs: readonly ProcessRef[]): void {
  for (const ref of refs) fs.rmSync(path.join(exitsDir, `${ref.pid}-${ref.startTime}.json`), { force: true });
}

/**
 * Remove every record (and temporary file the monitor left when it was killed mid-write) of a
 * process that `keep` does not name: what `gc` does with records no pod can claim. Returns how
 * many went.
 */
export function removeExitRecordsExcept(exitsDir: string, keep: (ref: ProcessRef) => boolean): number {
  let names: string[];
  try {
    names = fs.readdirSync(exitsDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = RECORD_NAME.exec(name);
    if (m && keep({ pid: Number(m[1]), startTime: Number(m[2]) })) continue;
    // (a temporary file may be one a monitor is writing now: only an old one is left over)
    if (!m && !olderThan(path.join(exitsDir, name), TMP_GRACE_MS)) continue;
    fs.rmSync(path.join(exitsDir, name), { force: true });
    removed++;
  }
  return removed;
}

/** The processes of a pod whose exits the monitor may have recorded: the infra and each container's last instance. */
export function recordedRefsOf(state: PodState): ProcessRef[] {
  const containers = Object.values(state.containers).flatMap((c) => (c.process ? [c.process] : []));
  return [...(state.infra ? [state.infra] : []), ...containers];
}

/**
 * The record of a process that has ended (its pidfd polled readable), once the monitor has
 * written it: the exit is seen at once, the record follows within the monitor's next SIGCHLD
 * round, before it reaps. Undefined when none came within `timeoutMs` (the exit was reaped
 * unrecorded: a monitor that died too, or a supervisor that reaped it and died before saving).
 */
export async function waitExitRecord(
  exitsDir: string,
  ref: ProcessRef,
  timeoutMs = 10_000,
): Promise<ExitRecord | undefined> {
  const until = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    const r = readExitRecord(exitsDir, ref);
    if (r || Date.now() >= until) return r;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
