/**
 * The supervisor's socket: where `tspod run -d` hands it a pod (host-client.ts is the other side).
 *
 * `<run root>/supervisor/control.sock`, a filesystem socket (never an abstract one, which a
 * `hostNetwork` pod could reach) with mode 0600 in a 0700 directory of root's; and, since a
 * pod's images, manifest, Secrets and the host's whole power go over it, each connection's peer
 * is checked too: SO_PEERCRED gives the uid the kernel recorded at connect(2), and anything but
 * root is refused before a byte is read.
 *
 * One JSON object per line:
 *
 *     ← {"supervisor":4242}                     (on every accepted connection, first)
 *     → {"op":"run","input":{...}}             ← the readiness answer of detach.ts, then the end
 *     → {"op":"ping"}                          ← {"ok":true,"pid":4242,"pods":["web"]}
 *
 * The greeting tells the client that the supervisor counts the connection as a hand-over under
 * way (host.ts): from then on a supervisor that is leaving waits for it. A connection the kernel
 * had queued but the supervisor never accepted (it closed its socket to leave) ends without a
 * greeting, and the client starts over.
 */
import fs from 'node:fs';
import net from 'node:net';
import { socketAddress } from '../control/address.js';
import { realHost } from '../runtime/host.js';
import type { PeerCred } from '../kernel.js';
import { checkPodName } from '../pods/pod-name.js';
import type { PodHost } from './host.js';
import type { SuperviseInput } from './detach.js';

export type HostRequest = { op: 'ping' } | { op: 'run'; input: SuperviseInput };

/** Check a decoded request line; a readable error for anything else. */
export function parseHostRequest(line: string, runRoot: string): HostRequest {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new Error('request is not JSON');
  }
  const m = msg as { op?: unknown; input?: Partial<SuperviseInput> };
  if (typeof msg !== 'object' || msg === null || typeof m.op !== 'string') throw new Error('request has no "op"');
  if (m.op === 'ping') return { op: 'ping' };
  if (m.op !== 'run') throw new Error(`unknown request "${m.op}"`);
  const input = m.input;
  if (typeof input !== 'object' || input === null) throw new Error('run: "input" must be the pod to supervise');
  if (input.roots?.runRoot !== runRoot)
    throw new Error(`run: the pod's run root ${String(input.roots?.runRoot)} is not this supervisor's (${runRoot})`);
  checkPodName(input.pod?.metadata?.name as string);
  return { op: 'run', input: input as SuperviseInput };
}

/** The uid that connected `socket` (SO_PEERCRED); undefined when the kernel could not say. */
function peerUid(socket: net.Socket, peerCred: (fd: number) => PeerCred): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    return peerCred(fd).uid;
  } catch {
    return undefined;
  }
}

export class HostServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private readonly socketPath: string;
  private readonly runRoot: string;
  private readonly host: PodHost;
  private readonly log: (line: string) => void;
  private readonly uid: number;
  private readonly peerCred: (fd: number) => PeerCred;

  /** `uid`: whose connections are served (root's; a test without root passes its own) */
  constructor(o: {
    socketPath: string;
    runRoot: string;
    host: PodHost;
    log: (line: string) => void;
    uid?: number;
    peerCred?: (fd: number) => PeerCred;
  }) {
    this.socketPath = o.socketPath;
    this.runRoot = o.runRoot;
    this.host = o.host;
    this.log = o.log;
    this.uid = o.uid ?? 0;
    this.peerCred = o.peerCred ?? ((fd) => realHost.peerCred(fd));
  }

  /** Listen (again); a stale socket file of a supervisor that died is replaced. The caller holds the supervisor lock. */
  async listen(): Promise<void> {
    fs.rmSync(this.socketPath, { force: true });
    const server = net.createServer((s) => this.serve(s));
    const addr = socketAddress(this.socketPath);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(addr.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      addr.release();
    }
    fs.chmodSync(this.socketPath, 0o600);
    server.on('error', (err) => this.log(`supervisor socket ${this.socketPath}: ${err.message}`));
    this.server = server;
  }

  /** Accept no more connections (those accepted go on); resolves once every one of them has ended. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Close, and remove the socket's file. */
  async remove(): Promise<void> {
    await this.close();
    fs.rmSync(this.socketPath, { force: true });
  }

  get connections(): number {
    return this.sockets.size;
  }

  private serve(socket: net.Socket): void {
    socket.on('error', () => undefined); // (a client gone: its readiness answer is lost, the pod runs on)
    const uid = peerUid(socket, this.peerCred);
    if (uid !== this.uid) {
      socket.end(
        JSON.stringify({
          ok: false,
          error: `only uid ${this.uid} may hand pods to the supervisor (not uid ${uid ?? 'unknown'})`,
        }) + '\n',
      );
      return;
    }
    const closed = this.host.openHandover();
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      closed();
    });
    socket.write(JSON.stringify({ supervisor: process.pid }) + '\n');
    let buf = '';
    let handled = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0 || handled) return;
      handled = true;
      void this.answer(buf.slice(0, nl)).then((reply) => socket.end(JSON.stringify(reply) + '\n'));
    });
  }

  private async answer(line: string): Promise<object> {
    let req: HostRequest;
    try {
      req = parseHostRequest(line, this.runRoot);
    } catch (err) {
      return { ok: false, error: (err as Error).message, status: 125 };
    }
    if (req.op === 'ping') return { ok: true, pid: process.pid, pods: this.host.names() };
    this.log(`pod "${req.input.pod.metadata.name}" handed over`);
    return this.host.host(req.input);
  }
}
