/**
 * Adoption: a new supervisor takes up a pod whose supervisor died (issue 14), from the pod's state
 * on disk and what the kernel still holds, whatever process it runs in (the pod's monitor starts
 * one: native/monitor_pod.c; one supervisor for every pod may call it for each pod it finds).
 *
 * What outlives a supervisor, and how it is taken up:
 *  - The pod's *lock* (an flock(2) the kernel dropped when the supervisor died: state/store.ts) is
 *    taken again: a pod that another process supervises is refused, and `ps` shows it Running.
 *  - The *processes* (the infra, the containers, their log monitors) were the dead supervisor's
 *    children and are now its monitor's (the subreaper's). Each is held by a pidfd checked against
 *    its recorded start time (same-process.ts); their ends are learnt by polling those pidfds and
 *    their exit statuses read from the monitor's exit records (state/exits.ts; adopted.ts).
 *  - The *restart policy's state* is in the pod's state: restart counts and lastState in the
 *    status, each container's back-off count and the time its next start is due (backoff.ts), so
 *    a crash loop goes on where it was, and exits seen meanwhile are answered oldest first.
 *  - The *control socket* is a file the dead supervisor's listener left: unlinked (we hold the
 *    lock, so no live supervisor serves it) and listened on again, so `stop` and `attach` work.
 *  - *Teardown* is still the ledger's (runtime/ledger.ts), walked backwards at the pod's end.
 * What does not outlive it: a container's stdin or terminal (the dead supervisor's fds), and the
 * pod's ConfigMaps and Secrets (never written to a file): a restart that needs them cannot be
 * configured (CreateContainerConfigError) until the pod is run again.
 */
import fsp from 'node:fs/promises';
import { ControlServer } from '../control/server.js';
import { podLayout } from '../layout.js';
import type { Roots } from '../paths.js';
import { gatherFacts } from '../runtime/facts.js';
import { realHost, type Host } from '../runtime/host.js';
import { Sandbox } from '../runtime/sandbox.js';
import { lockPod, processRef, readState, type PodLock } from '../state/store.js';
import type { PodState } from '../state/types.js';
import { findInstances, type FoundInstance } from './adopted.js';
import { podFinisher, stateSaver, superviseSandbox, type RunningPod } from './run-pod.js';
import { openProcess } from './same-process.js';
import { Supervisor } from './supervisor.js';

export interface AdoptOptions {
  roots: Roots;
  name: string;
  explain: (line: string) => void;
  warn: (line: string) => void;
  host?: Host;
}

/** Why a pod was not adopted (none of it was touched). `status` 0: there was nothing to do. */
export class AdoptError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Adopt pod `name`: resolves once it is supervised again by this process. */
export async function adoptPod(o: AdoptOptions): Promise<RunningPod> {
  const { lock, state } = await claimOrphan(o);
  const layout = podLayout(o.roots, o.name);
  let control: ControlServer;
  try {
    // The dead supervisor's socket file is still there: a listen on it would fail with EADDRINUSE.
    await fsp.rm(layout.controlSocket, { force: true });
    control = await ControlServer.listen(layout.controlSocket, o.warn);
  } catch (err) {
    lock.release();
    throw err;
  }
  state.supervisor = processRef(process.pid);
  const saver = stateSaver(o, state);
  const host = o.host ?? realHost;
  const network = state.adoption?.network ?? 'none';
  let sandbox: Sandbox;
  let infraAlive: boolean;
  let found: FoundInstance[];
  try {
    const facts = await gatherFacts(o.roots, network, state.pod);
    sandbox = new Sandbox({
      host,
      roots: o.roots,
      state,
      save: () => saver.strict(),
      network,
      explain: o.explain,
      warn: o.warn,
      images: state.adoption?.images,
      facts,
    });
    infraAlive = takeInfra(host, sandbox, state);
    found = await findInstances(sandbox, state);
  } catch (err) {
    // Nothing was changed: the pod is left as it was found, for another try or gc.
    await control.close();
    await saver.close();
    lock.release();
    throw err;
  }
  const supervisor = new Supervisor({
    sandbox,
    images: state.adoption?.images ?? {},
    saveStatus: () => saver.lenient(),
  });
  const finish = podFinisher({ ...o, keep: state.keep, state, saver, lock });
  const running = superviseSandbox({ ...o, state, sandbox, saver, control, lock, finish, supervisor }, () =>
    supervisor.adopt(found),
  );
  if (!infraAlive) {
    // The pod's namespaces went with its infra: nothing can be started in them any more.
    o.warn(`the infra of pod "${o.name}" is gone: stopping the pod`);
    running.stop(0);
  }
  await saver.lenient();
  return running;
}

/** The pod's lock and state, if it is a pod that needs a supervisor and has none. */
async function claimOrphan(o: AdoptOptions): Promise<{ lock: PodLock; state: PodState }> {
  let lock: PodLock | undefined;
  try {
    lock = lockPod(o.roots, o.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AdoptError(`pod "${o.name}" not found`, 1);
    throw err;
  }
  if (!lock) throw new AdoptError(`pod "${o.name}" is supervised (its lock is held)`, 0);
  const state = await readState(o.roots, o.name).catch((err: unknown) => {
    lock.release();
    throw err;
  });
  if (!state || state.tornDown) {
    lock.release();
    throw new AdoptError(state ? `pod "${o.name}" has ended: nothing to adopt` : `pod "${o.name}" has no state`, 0);
  }
  return { lock, state };
}

/** The infra, by a pidfd checked against its start time; false when it is gone. */
function takeInfra(host: Host, sandbox: Sandbox, state: PodState): boolean {
  const pidfd = state.infra && openProcess(host, state.infra);
  if (pidfd === undefined) return false;
  sandbox.adoptInfra(pidfd);
  return true;
}
