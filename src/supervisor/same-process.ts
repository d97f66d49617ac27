/**
 * Holding a process that is not our child: a pidfd (pidfd_open(2)) opened first, then its start
 * time (field 22 of /proc/PID/stat, ProcessRef) compared with the one recorded. A pid is recycled
 * once its process is reaped, and the new process has another start time, so a match after the
 * open means the pidfd is that very process: whatever happens to the pid number afterwards,
 * signals through the pidfd reach it or nothing, and the pidfd polls readable when it ends.
 */
import type { Host } from '../runtime/host.js';
import type { ProcessRef } from '../state/types.js';

/** A pidfd of exactly this process (same pid, same start time), or undefined when it is not alive. */
export function openProcess(host: Host, ref: ProcessRef): number | undefined {
  let pidfd: number;
  try {
    pidfd = host.pidfdOpen(ref.pid);
  } catch {
    return undefined; // ESRCH: no process has the pid
  }
  // After the open, not before: a pid recycled in between shows the new start time.
  if (host.processAlive(ref)) return pidfd;
  host.closeFd(pidfd);
  return undefined;
}
