/**
 * Running a pod from start to finish, in this process: claim the name, admit the pod on the node,
 * record the state, build the sandbox, supervise the containers, tear everything down. `tspod run` calls it in the foreground;
 * a detached `tspod run -d` calls it in a supervisor process of its own.
 *
 * The pod's name is claimed by creating its run directory (mkdir fails if it exists, so two runs
 * of one name cannot both win) and locking it for the life of the supervisor.
 */
import type { ConfigObjects } from '../manifest/config-objects.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ControlServer } from '../control/server.js';
import type { ImageRecord } from '../image/store.js';
import { hostIPs } from '../network/index.js';
import type { Roots } from '../paths.js';
import { realHost, type Host } from '../runtime/host.js';
import { podLayout } from '../layout.js';
import { Sandbox } from '../runtime/sandbox.js';
import type { Pod } from '../manifest/types.js';
import { lockPod, processRef, writeState, type PodLock } from '../state/store.js';
import type { PodState } from '../state/types.js';
import type { LogSink } from './logs.js';
import { initialStatus } from './status.js';
import { Supervisor } from './supervisor.js';
import { admitOnNode, explainAdmission, withNodeLock } from '../admission/on-node.js';
import { loadNode } from '../node/node.js';

export class PodExistsError extends Error {}

export interface RunPodOptions {
  roots: Roots;
  pod: Pod;
  images: Record<string, ImageRecord>;
  /** the ConfigMaps and Secrets the pod refers to */
  config?: ConfigObjects;
  network: string;
  /** keep the pod listed (state and logs) after it ends, until `tspod rm` */
  keep: boolean;
  sink: LogSink;
  explain: (line: string) => void;
  warn: (line: string) => void;
  host?: Host;
  /** called once the app containers have started (or the pod failed to start) */
  onStarted?: (state: PodState) => void;
}

export interface RunningPod {
  /** resolves with the exit status of CLI.md once the pod has finished and is torn down */
  done: Promise<number>;
  /** stop gracefully (graceSeconds defaults to the manifest's); `bySignal` decides the exit status */
  stop(graceSeconds?: number, bySignal?: number): void;
}

async function claim(roots: Roots, name: string): Promise<PodLock> {
  const layout = podLayout(roots, name);
  await fsp.mkdir(path.dirname(layout.runDir), { recursive: true, mode: 0o700 });
  try {
    await fsp.mkdir(layout.runDir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new PodExistsError(`pod "${name}" already exists (see "tspod ps -a"; remove it with "tspod rm ${name}")`);
  }
  // A data directory without a run directory is what a crashed, half-collected pod left: stale.
  await fsp.rm(layout.dataDir, { recursive: true, force: true });
  return lockPod(roots, name)!;
}

/** The state of a pod about to start (also what --dry-run plans with). */
export function newState(o: Pick<RunPodOptions, 'pod' | 'images' | 'keep'>): PodState {
  const uid = o.pod.metadata.uid ?? randomUUID();
  const imageIds = Object.fromEntries(Object.entries(o.images).map(([c, img]) => [c, img.id]));
  const pod: Pod = { ...o.pod, metadata: { ...o.pod.metadata, uid } };
  return {
    version: 1, name: pod.metadata.name, uid, createdAt: new Date().toISOString(), pod,
    // The node's address, as status.hostIP reports it (and a hostNetwork pod's IP is).
    status: initialStatus(pod, imageIds, hostIPs()[0] ?? '127.0.0.1'),
    supervisor: processRef(process.pid), keep: o.keep, containers: {}, mounts: [], cgroups: [],
    images: [...new Set(Object.values(imageIds))],
  };
}

/**
 * Claim the name, admit the pod on the node and record its state, all under the node lock, so that
 * the next run counts this pod (admission/on-node.ts). A refused pod leaves nothing behind.
 */
async function claimAndAdmit(o: RunPodOptions): Promise<{ lock: PodLock; state: PodState }> {
  return withNodeLock(o.roots, async () => {
    const lock = await claim(o.roots, o.pod.metadata.name);
    try {
      const node = loadNode(o.roots);
      const verdict = await admitOnNode(o.roots, o.pod, node);
      for (const line of explainAdmission(verdict, node)) o.explain(line);
      for (const w of verdict.warnings) o.warn(w);
      const state = newState({ ...o, pod: verdict.pod });
      await writeState(o.roots, state);
      return { lock, state };
    } catch (err) {
      await removePodFiles(o.roots, o.pod.metadata.name);
      lock.release();
      throw err;
    }
  });
}

export async function runPod(o: RunPodOptions): Promise<RunningPod> {
  const { lock, state } = await claimAndAdmit(o);
  // Listen from the start: a `tspod stop` that comes while the sandbox is built waits for it.
  const control = await ControlServer.listen(podLayout(o.roots, o.pod.metadata.name).controlSocket, o.warn).catch(async (err) => {
    await removePodFiles(o.roots, o.pod.metadata.name);
    lock.release();
    throw err;
  });
  // One write at a time, each of the state as it is when the write starts: two renames racing
  // could otherwise leave an older snapshot as the last word.
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.catch(() => undefined).then(() => writeState(o.roots, state)));
  const sandbox = new Sandbox({ host: o.host ?? realHost, roots: o.roots, state, save, network: o.network, explain: o.explain, warn: o.warn, config: o.config });
  const finish = async () => {
    state.tornDown = true;
    if (o.keep) await save();
    else await removePodFiles(o.roots, state.name);
    lock.release();
  };
  try {
    await save();
    // The state names the images now, so `tspod image rm` refuses them from here on; one removed
    // between the CLI's lookup and this point is caught here, before anything is built on it.
    for (const img of Object.values(o.images)) {
      if (!fs.existsSync(img.rootfs)) throw new Error(`image "${img.ref}" was removed while the pod was starting`);
    }
    await sandbox.start();
  } catch (err) {
    await finish();
    await control.close();
    throw err;
  }
  const supervisor = new Supervisor({ sandbox, images: o.images, sink: o.sink, onStarted: () => o.onStarted?.(state) });
  const done = (async () => {
    try {
      return await supervisor.run();
    } finally {
      const errors = await sandbox.teardown();
      for (const e of errors) o.warn(String(e));
      await save().catch(() => undefined);
      await finish();
    }
  })();
  control.attach({ stop: (timeout) => void supervisor.stop(timeout), done });
  return {
    // The socket closes last: a `stop` request is answered once the pod is torn down (`done`).
    done: done.finally(() => control.close()),
    stop: (grace, bySignal) => void supervisor.stop(grace, bySignal),
  };
}

/** Remove everything the pod keeps on disk: state, lock, logs, and what teardown left. */
export async function removePodFiles(roots: Roots, name: string): Promise<void> {
  const layout = podLayout(roots, name);
  await fsp.rm(layout.dataDir, { recursive: true, force: true });
  await fsp.rm(layout.runDir, { recursive: true, force: true });
}
