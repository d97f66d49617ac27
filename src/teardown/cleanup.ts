/**
 * Removing a pod from the host, whatever state it was left in: what `tspod rm` and `tspod gc` do.
 *
 * A pod that ended normally was torn down by its supervisor, and only its state and logs remain. A
 * pod whose supervisor was killed (SIGKILL, OOM) may have left everything: container processes
 * running unsupervised, the infra, host mounts (the pod's /dev/shm, memory emptyDirs), the netns
 * pin with its veth, IP lease and iptables rules, cgroups. The supervisor recorded each of its host
 * steps in the pod's ledger *before* doing it, so the ledger says what to undo, and this is the
 * same teardown as the supervisor's: the ledger walked backwards (runtime/ledger.ts). A state
 * written by an older tspod, without a ledger, is converted into the ledger its fields mean.
 *
 * Then, as the last guard, anything still mounted under the pod's directories is detached (a mount
 * no step made: nothing of tspod's makes one, but a removal must not follow a mount into another
 * file system), and the files go: the data first, the run directory (state, lock) last, so that a
 * crash in between leaves a pod that `gc` still finds. A step that fails keeps the state, so that
 * a later `gc` can retry; every undo is idempotent.
 *
 * The caller holds the pod's lock, so no supervisor (and no other `gc`) works on it meanwhile.
 */
import type { Roots } from '../paths.js';
import { hostLayout, podLayout } from '../layout.js';
import { recordedRefsOf, removeExitRecords } from '../state/exits.js';
import type { PodState } from '../state/types.js';
import { mountsUnder } from '../mountinfo.js';
import { realHost, type Host } from '../runtime/host.js';
import { ledgerOf, undoLedger, unmountAll } from '../runtime/ledger.js';

export interface CleanupOptions {
  warn: (line: string) => void;
  /** how long to wait for killed processes to be gone */
  killWaitMs?: number;
  /** the system calls (a recording double in unit tests) */
  host?: Host;
  /** the mount points under the given directories (default: the host's mountinfo) */
  mountsUnder?: (dirs: string[]) => string[];
}

/** Remove everything of pod `name` (its state may be missing: a pod that crashed while being created). */
export async function removePod(
  roots: Roots,
  name: string,
  state: PodState | undefined,
  o: CleanupOptions,
): Promise<void> {
  const host = o.host ?? realHost;
  const errors: Error[] = state
    ? await undoLedger({ host, state, roots, killWaitMs: o.killWaitMs }, ledgerOf(state))
    : [];
  const layout = podLayout(roots, name);
  try {
    for (const m of (o.mountsUnder ?? mountsUnder)([layout.runDir, layout.dataDir])) unmountAll(host, m);
  } catch (err) {
    errors.push(new Error("unmounting what is still mounted under the pod's directories", { cause: err }));
  }
  if (errors.length > 0) {
    throw new Error(`pod "${name}" is not fully removed (its state is kept, "tspod gc" retries)`, {
      cause: new AggregateError(errors, errors.map((e) => describe(e)).join('; ')),
    });
  }
  // The data first, the run directory (state, lock) last: a crash in between leaves a pod that
  // `gc` still finds. (Removals are retried: the pod's monitor may still be writing the exit
  // records of the processes just killed.)
  await host.remove(layout.dataDir);
  // The exit records of its processes (a killed supervisor's pod): nobody will ask for them now.
  if (state) removeExitRecords(hostLayout(roots).exitsDir, recordedRefsOf(state));
  await host.remove(layout.runDir);
}

function describe(e: Error): string {
  return e.cause instanceof Error ? `${e.message}: ${describe(e.cause)}` : e.message;
}
