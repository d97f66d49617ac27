/**
 * Removing a pod from the host, whatever state it was left in: what `tspod rm` and `tspod gc` do.
 *
 * A pod that ended normally was torn down by its supervisor, and only its state and logs remain. A
 * pod whose supervisor was killed (SIGKILL, OOM) may have left everything: container processes
 * running unsupervised, the infra, host mounts (the pod's /dev/shm, memory emptyDirs), the netns
 * pin with its veth, IP lease and iptables rules, cgroups. The supervisor recorded each of those in
 * the pod's state *before* making it, so the state says what to undo. In this order:
 *
 *   processes (containers, then the infra) → cgroups → network → mounts → files
 *
 * Why: processes first, so nothing is using what follows, and the infra last, as a pod stops (when
 * the infra, PID 1 of the pod's PID namespace, dies, the kernel kills the rest of that namespace);
 * the cgroups next, which also kills any straggler a pid could not name (a child of a container
 * that left its PID namespace's tree); the network with DEL through the still-pinned namespace
 * (the plugins find the veth through it); then the host mounts; the files last, once nothing is
 * mounted under them. A step that fails keeps the state, so that a later `gc` can retry.
 *
 * The caller holds the pod's lock, so no supervisor (and no other `gc`) works on it meanwhile.
 */
import fs from 'node:fs';
import { detachPod, type NetworkAttachment } from '../network/index.js';
import type { Roots } from '../paths.js';
import { podLayout } from '../layout.js';
import { isAlive } from '../state/store.js';
import type { PodState, ProcessRef } from '../state/types.js';
import { mountsUnder } from '../mountinfo.js';
import { realHost, type Host } from '../runtime/host.js';
import { releaseRange } from '../state/userns-ranges.js';

export interface CleanupOptions {
  warn: (line: string) => void;
  /** how long to wait for killed processes to be gone */
  killWaitMs?: number;
  /** the system calls (a recording double in unit tests) */
  host?: Host;
}

/** Remove everything of pod `name` (its state may be missing: a pod that crashed while being created). */
export async function removePod(roots: Roots, name: string, state: PodState | undefined, o: CleanupOptions): Promise<void> {
  const host = o.host ?? realHost;
  const errors: Error[] = [];
  const attempt = async (what: string, step: () => Promise<void> | void) => {
    try {
      await step();
    } catch (err) {
      errors.push(new Error(what, { cause: err }));
    }
  };
  if (state) {
    await attempt('killing the pod\'s processes', () => killProcesses(host, state, o.killWaitMs ?? 10_000));
    await attempt('removing the pod\'s cgroups', () => host.removeCgroups(state.cgroups));
    if (state.network) await attempt('detaching the pod from its network', () => detachPod(state.network as NetworkAttachment));
    await attempt('unmounting the pod\'s host mounts', () => unmountAll(host, [...state.mounts].reverse()));
    // Last of the pod's things: its processes (the owners of the range's ids) are gone by now.
    if (state.userns) releaseRange(roots, state.userns, state.uid);
  }
  const layout = podLayout(roots, name);
  await attempt('unmounting what is still mounted under the pod\'s directories', () => unmountAll(host, mountsUnder([layout.runDir, layout.dataDir])));
  if (errors.length > 0) {
    throw new Error(`pod "${name}" is not fully removed (its state is kept, "tspod gc" retries)`, { cause: new AggregateError(errors, errors.map((e) => describe(e)).join('; ')) });
  }
  // The data first, the run directory (state, lock) last: a crash in between leaves a pod that
  // `gc` still finds.
  fs.rmSync(layout.dataDir, { recursive: true, force: true });
  // (retried: the pod's monitor may still be writing the exit records of the processes just killed)
  fs.rmSync(layout.runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

function describe(e: Error): string {
  return e.cause instanceof Error ? `${e.message}: ${describe(e.cause)}` : e.message;
}

/** SIGKILL a recorded process through a pidfd, opened and then checked against the start time. */
function kill(host: Host, ref: ProcessRef): void {
  let pidfd: number;
  try {
    pidfd = host.pidfdOpen(ref.pid);
  } catch {
    return; // gone
  }
  try {
    // Checked after opening: if the start time still matches, the pidfd is that very process.
    if (isAlive(ref)) host.signal(pidfd, 9);
  } finally {
    host.closeFd(pidfd);
  }
}

/** Containers first, the infra last; then wait until they are gone. */
async function killProcesses(host: Host, state: PodState, waitMs: number): Promise<void> {
  const containers = Object.values(state.containers).map((c) => c.process).filter((p): p is ProcessRef => !!p);
  for (const p of containers) kill(host, p);
  if (state.infra) kill(host, state.infra);
  const all = [...containers, ...(state.infra ? [state.infra] : [])];
  const until = Date.now() + waitMs;
  while (all.some(isAlive)) {
    if (Date.now() > until) throw new Error(`processes ${all.filter(isAlive).map((p) => p.pid).join(', ')} did not die`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lazily detach each mount point; one mounted several times is unmounted until it is not one. */
function unmountAll(host: Host, targets: string[]): void {
  for (const target of targets) {
    for (let i = 0; i < 16; i++) {
      try {
        host.umount(target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EINVAL' || code === 'ENOENT') break; // not (any more) a mount point
        throw err;
      }
    }
  }
}
