/**
 * `tspod run -d`: the pod runs under the run root's one supervisor of detached pods, detached from
 * the command.
 *
 * The command validates the manifest and resolves the images itself (so that a bad manifest or a
 * missing image is reported where the user typed the command), then hands the validated pod to
 * the supervisor over its socket (host-client.ts, which starts the supervisor if none runs) and
 * waits for one line: `{"ok":true}` once every app container has started, or
 * `{"ok":false,"error":"..."}` when the pod could not start. Then the command exits and the
 * supervisor runs on: it holds the pod's lock and serves its control socket (`tspod stop`), the
 * log monitors write the containers' output to their log files, and its messages about the pod go
 * to `<root>/pods/<name>/supervisor.log`.
 */
import type { ConfigObjects } from '../manifest/config-objects.js';
import path from 'node:path';
import type { ImageRecord } from '../image/store.js';
import { hostLayout } from '../layout.js';
import { podDataDir, type Roots } from '../paths.js';
import type { Pod } from '../manifest/types.js';
import { connectSupervisor } from './host-client.js';
import { tspodSettings } from './pod-env.js';

/** What the supervisor is handed for one pod. */
export interface SuperviseInput {
  roots: Roots;
  pod: Pod;
  images: Record<string, ImageRecord>;
  /** the ConfigMaps and Secrets the pod refers to: over the socket, never written to a file */
  config?: ConfigObjects;
  network: string;
  /** narrate each step into the pod's supervisor log */
  explain: boolean;
  /** the command's TSPOD_* settings, which the pod's code sees as its environment (pod-env.ts) */
  env?: Record<string, string>;
}

/** The readiness answer. */
export type ReadyMessage = { ok: true; name: string } | { ok: false; error: string; status: number };

export function supervisorLog(roots: Roots, name: string): string {
  return path.join(podDataDir(roots, name), 'supervisor.log');
}

/** Hand the pod to the supervisor; resolves once the pod has started, rejects with its start error. */
export async function startDetached(input: SuperviseInput): Promise<void> {
  const name = input.pod.metadata.name;
  let conn;
  try {
    conn = await connectSupervisor(input.roots);
  } catch (err) {
    throw new DetachError((err as Error).message, 125);
  }
  try {
    conn.socket.write(JSON.stringify({ op: 'run', input: { ...input, env: tspodSettings() } }) + '\n');
    const line = await conn.next();
    if (line === undefined) {
      throw new DetachError(
        `the supervisor (pid ${conn.pid}) ended before the pod started; see ${hostLayout(input.roots).supervisorLog} and ${supervisorLog(input.roots, name)}`,
        125,
      );
    }
    let msg: ReadyMessage;
    try {
      msg = JSON.parse(line) as ReadyMessage;
    } catch {
      throw new DetachError(`the supervisor said something unexpected: ${line}`, 125);
    }
    if (!msg.ok) throw new DetachError(msg.error, msg.status);
  } finally {
    conn.socket.destroy();
  }
}

export class DetachError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
