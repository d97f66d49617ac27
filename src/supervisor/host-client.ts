/**
 * The command's side of the supervisor's socket (host-server.ts): reach the run root's one
 * supervisor, starting it when there is none.
 *
 * Connecting is tried first. When nobody answers (no socket file, a stale one of a killed
 * supervisor, or one that is leaving), the client takes the start lock (`<run root>/supervisor/
 * start.lock`) and tries again, because another `run -d` may have started a supervisor while this
 * one waited; only if that fails too does it start one: `tspod-monitor host <run root>/exits node
 * tspod __supervise`, in a session of its own (no controlling terminal, so closing the terminal
 * does not send it SIGHUP), which says on its fd 3 once it listens. The client keeps the start
 * lock until the supervisor has greeted its connection, so two commands at once start exactly
 * one supervisor, and a supervisor cannot leave (host-main.ts) before it has counted the pod
 * that is coming.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { socketAddress } from '../control/address.js';
import { Lines } from '../control/protocol.js';
import { hostLayout, type HostLayout } from '../layout.js';
import { MONITOR_BINARY, PACKAGE_DIR, type Roots } from '../paths.js';
import { prepareHostDirs } from './host-dirs.js';
import { lockFile } from '../state/store.js';

/** The fd on which the supervisor tells the command that started it that it listens. */
export const STARTED_FD = 3;

const CLI_ENTRY = path.join(PACKAGE_DIR, 'bin', 'tspod');
/** Connections the supervisor may drop unaccepted as it leaves: a few tries, then an error. */
const ATTEMPTS = 5;

/**
 * V8's young generation is sized for throughput by default (semi-spaces of up to 16 MiB); the
 * supervisor mostly sleeps, and what it keeps resident is what it costs every pod.
 */
export const SUPERVISOR_NODE_FLAGS = ['--max-semi-space-size=1'];

/** A greeted connection to the supervisor, and its lines. */
export interface SupervisorConnection {
  socket: net.Socket;
  pid: number;
  /** the next line from the supervisor; undefined once the connection has ended */
  next(): Promise<string | undefined>;
}

function lineReader(socket: net.Socket): () => Promise<string | undefined> {
  const lines = new Lines();
  const queue: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let ended = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    for (const l of lines.push(chunk)) {
      const w = waiting.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  const end = () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  };
  socket.on('end', end).on('close', end).on('error', end);
  return () => {
    const l = queue.shift();
    if (l !== undefined || ended) return Promise.resolve(l);
    return new Promise((resolve) => waiting.push(resolve));
  };
}

/** Connect and wait for the greeting; undefined when no supervisor answered. */
export async function tryConnect(layout: HostLayout): Promise<SupervisorConnection | undefined> {
  const addr = socketAddress(layout.supervisorSocket);
  let socket: net.Socket;
  try {
    socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(addr.address);
      s.once('connect', () => resolve(s)).once('error', reject);
    });
  } catch {
    return undefined; // ENOENT, ECONNREFUSED: nobody listens
  } finally {
    addr.release();
  }
  const next = lineReader(socket);
  const hello = await next();
  let pid: unknown;
  try {
    pid = hello === undefined ? undefined : (JSON.parse(hello) as { supervisor?: unknown; error?: unknown }).supervisor;
  } catch {
    pid = undefined;
  }
  if (typeof pid !== 'number') {
    socket.destroy();
    const refusal = hello && (JSON.parse(hello) as { error?: string }).error;
    if (refusal) throw new Error(refusal);
    return undefined; // (dropped unaccepted by a supervisor that is leaving)
  }
  return { socket, pid, next };
}

/** Start the supervisor under its monitor; resolves once it listens. */
async function startSupervisor(roots: Roots, layout: HostLayout): Promise<void> {
  const args = [
    'host',
    layout.exitsDir,
    process.execPath,
    ...SUPERVISOR_NODE_FLAGS,
    CLI_ENTRY,
    '--root',
    roots.root,
    '--run-root',
    roots.runRoot,
    '__supervise',
  ];
  const child = spawn(MONITOR_BINARY, args, {
    detached: true,
    cwd: '/',
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const pipe = child.stdio[STARTED_FD] as Readable;
  try {
    const line = await new Promise<string | undefined>((resolve) => {
      const lines = new Lines();
      pipe.setEncoding('utf8');
      pipe.on('data', (c: string) => {
        const [first] = lines.push(c);
        if (first !== undefined) resolve(first);
      });
      pipe.on('close', () => resolve(undefined)).on('error', () => resolve(undefined));
    });
    const msg = line === undefined ? undefined : (JSON.parse(line) as { ok: boolean; error?: string });
    if (!msg) throw new Error(`the supervisor exited before it listened; see ${layout.supervisorLog}`);
    if (!msg.ok) throw new Error(`the supervisor could not start: ${msg.error ?? 'no reason given'}`);
  } finally {
    pipe.destroy();
    child.unref();
  }
}

/** The run root's supervisor, started if need be (see the header). */
export async function connectSupervisor(roots: Roots): Promise<SupervisorConnection> {
  const layout = hostLayout(roots);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await tryConnect(layout);
    if (found) return found;
    prepareHostDirs(layout);
    // (flock blocks this thread: the command has nothing else to do meanwhile)
    const start = lockFile(layout.startLock, true)!;
    try {
      const again = await tryConnect(layout);
      if (again) return again;
      await startSupervisor(roots, layout);
      const started = await tryConnect(layout);
      if (started) return started;
    } finally {
      start.release();
    }
  }
  throw new Error(`could not reach the supervisor at ${layout.supervisorSocket} (see ${layout.supervisorLog})`);
}
