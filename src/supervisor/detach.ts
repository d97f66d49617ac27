/**
 * `tspod run -d`: the pod runs under a supervisor process of its own, detached from the command.
 *
 * The command validates the manifest and resolves the images itself (so that a bad manifest or a
 * missing image is reported where the user typed the command), then starts `tspod __supervise` as
 * a new process in a session of its own (setsid: no controlling terminal, so closing the terminal
 * does not send it SIGHUP), as the child of a `tspod-monitor pod` that outlives it and records
 * the exits of the pod's processes if it dies (state/exits.ts), hands it the validated pod as JSON
 * on its stdin, and waits on a second pipe (its fd 3) for one line: `{"ok":true}` once every app container has started, or
 * `{"ok":false,"error":"..."}` when the pod could not start. Then the command exits and the
 * supervisor runs on: it holds the pod's lock and serves its control socket (`tspod stop`), writes
 * the containers' output to their log files and its own messages to `<root>/pods/<name>/supervisor.log`.
 */
import type { ConfigObjects } from '../manifest/config-objects.js';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageRecord } from '../image/store.js';
import { MONITOR_BINARY, PACKAGE_DIR, podDataDir, type Roots } from '../paths.js';
import { podLayout } from '../layout.js';
import type { Pod } from '../manifest/types.js';

/** What the detached supervisor is handed on its stdin. */
export interface SuperviseInput {
  roots: Roots;
  pod: Pod;
  images: Record<string, ImageRecord>;
  /** the ConfigMaps and Secrets the pod refers to: over the pipe, never written to a file */
  config?: ConfigObjects;
  network: string;
  /** narrate each step into the supervisor's log */
  explain: boolean;
}

/** The readiness line on fd 3. */
export type ReadyMessage = { ok: true; name: string } | { ok: false; error: string; status: number };

/** The fd on which the supervisor reports readiness. */
export const READY_FD = 3;

const CLI_ENTRY = path.join(PACKAGE_DIR, 'bin', 'tspod');

export function supervisorLog(roots: Roots, name: string): string {
  return path.join(podDataDir(roots, name), 'supervisor.log');
}

/** Start the detached supervisor; resolves once the pod has started, rejects with its start error. */
export async function startDetached(input: SuperviseInput): Promise<void> {
  // Under tspod-monitor (native/monitor_pod.c): the subreaper that records every exit of the pod
  // its supervisor does not live to see (state/exits.ts). It passes its stdio and fd 3 on.
  const exits = podLayout(input.roots, input.pod.metadata.name).exitsDir;
  const child = spawn(MONITOR_BINARY, ['pod', exits, process.execPath, ...process.execArgv, CLI_ENTRY, '__supervise'], {
    detached: true,
    cwd: '/',
    stdio: ['pipe', 'ignore', 'ignore', 'pipe'],
  });
  child.stdin!.on('error', () => undefined); // a child that died early: reported below
  child.stdin!.end(JSON.stringify(input));
  try {
    const msg = await readyMessage(child.stdio[READY_FD] as Readable);
    if (!msg) {
      const how = await new Promise<string>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(`status ${child.exitCode ?? child.signalCode}`);
        else child.once('exit', (code, sig) => resolve(`status ${code ?? sig}`));
      });
      throw new DetachError(`the pod's supervisor exited (${how}) before the pod started; see ${supervisorLog(input.roots, input.pod.metadata.name)}`, 125);
    }
    if (!msg.ok) throw new DetachError(msg.error, msg.status);
  } finally {
    (child.stdio[READY_FD] as Readable).destroy();
    child.unref();
  }
}

export class DetachError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** The first line on the readiness pipe, or undefined when it closed without one. */
function readyMessage(stream: Readable): Promise<ReadyMessage | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as ReadyMessage);
      } catch {
        resolve({ ok: false, error: `the pod's supervisor said something unexpected: ${buf.slice(0, nl)}`, status: 125 });
      }
    });
    stream.on('error', () => resolve(undefined));
    stream.on('close', () => resolve(undefined));
  });
}
