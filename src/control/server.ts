/**
 * The control socket's server side, run by the process that runs the pod (foreground `tspod run`
 * and the detached supervisor alike), for the pod's whole life. See protocol.ts for the messages.
 *
 * It listens from the moment the pod's name is claimed, before the sandbox exists, so a `stop` may
 * arrive before there is a supervisor to ask: it is kept and applied as soon as one is attached.
 * A `stop` is answered only once the pod has stopped *and* been torn down, so that the command
 * that asked can go on (`rm`) at once. An `attach` hands the connection over to the target, which
 * serves the session on it (attach/serve.ts). At the end the socket is closed and its file unlinked.
 */
import fs from 'node:fs';
import net from 'node:net';
import { socketAddress } from './address.js';
import { parseRequest, type AttachRequestMsg, type ControlReply, type ControlRequest } from './protocol.js';

export interface ControlTarget {
  /** start a graceful stop (idempotent); `timeout` overrides the grace period, in seconds */
  stop(timeout?: number): void;
  /** settles when the pod has stopped and been torn down */
  done: Promise<unknown>;
  /** serve an attach session on `socket` (its reply included); `rest`: bytes that came after the request line */
  attach?(req: AttachRequestMsg, socket: net.Socket, rest: Buffer): void;
}

export class ControlServer {
  private readonly connections = new Set<{ socket: net.Socket; pending: number }>();
  private closing = false;
  private setTarget!: (t: ControlTarget | undefined) => void;
  private readonly target = new Promise<ControlTarget | undefined>((resolve) => (this.setTarget = resolve));

  private constructor(
    private readonly server: net.Server,
    readonly socketPath: string,
    private readonly warn: (m: string) => void,
  ) {
    server.on('connection', (s) => this.serve(s));
    server.on('error', (err) => warn(`control socket ${socketPath}: ${err.message}`));
  }

  /** Listen at `socketPath` (a fresh path in a 0700 directory), mode 0600. */
  static async listen(socketPath: string, warn: (m: string) => void): Promise<ControlServer> {
    const server = net.createServer();
    const addr = socketAddress(socketPath);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(addr.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      throw new Error(`listening on the control socket ${socketPath}`, { cause: err });
    } finally {
      addr.release();
    }
    fs.chmodSync(socketPath, 0o600);
    return new ControlServer(server, socketPath, warn);
  }

  /** The pod's supervisor exists: apply stops that came before it, and those to come. */
  attach(target: ControlTarget): void {
    this.setTarget(target);
  }

  /** Stop listening, answer what is pending, unlink the socket. */
  async close(): Promise<void> {
    this.closing = true;
    this.setTarget(undefined);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) if (c.pending === 0) c.socket.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    for (const c of this.connections) c.socket.destroy();
    try {
      fs.rmSync(this.socketPath, { force: true });
    } catch (err) {
      this.warn(`removing the control socket ${this.socketPath}: ${(err as Error).message}`);
    }
  }

  private serve(socket: net.Socket): void {
    const conn = { socket, pending: 0 };
    this.connections.add(conn);
    let buf: Buffer = Buffer.alloc(0);
    let chain = Promise.resolve();
    // Bytes, not text: after an attach request the connection carries binary frames.
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
        const line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 1);
        if (line.trim() === '') continue;
        const req = peekAttach(line);
        if (req) {
          // The session owns the connection from here on (it leaves the set: close() does not end it).
          socket.off('data', onData);
          socket.pause();
          this.connections.delete(conn);
          const rest = buf;
          chain = chain.then(() => this.handOver(req, socket, rest));
          return;
        }
        conn.pending++;
        // One reply per request, in the order of the requests.
        chain = chain
          .then(async () => {
            const reply = await this.answer(line);
            // A client gone meanwhile: the write fails (EPIPE) into the 'error' handler below.
            if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
            if (--conn.pending === 0 && this.closing) socket.end();
          })
          .catch((err) => this.warn(`control socket ${this.socketPath}: ${err}`));
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.on('close', () => this.connections.delete(conn));
  }

  private async handOver(req: AttachRequestMsg, socket: net.Socket, rest: Buffer): Promise<void> {
    const target = await this.target;
    if (!target?.attach) {
      socket.end(JSON.stringify({ ok: false, error: 'the pod is going away' }) + '\n');
      return;
    }
    target.attach(req, socket, rest);
  }

  private async answer(line: string): Promise<ControlReply> {
    let req: ControlRequest;
    try {
      req = parseRequest(line);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    if (req.op === 'ping') return { ok: true, pid: process.pid };
    if (req.op === 'attach') return { ok: false, error: 'attach takes the connection over' }; // (handled by serve)
    const target = await this.target;
    if (target) {
      target.stop(req.timeout);
      await target.done.catch((err) => this.warn(`the pod ended with an error: ${err}`));
    }
    return { ok: true };
  }
}

/** The line as an attach request, when it is a valid one (anything else is answered as a request). */
function peekAttach(line: string): AttachRequestMsg | undefined {
  try {
    const req = parseRequest(line);
    return req.op === 'attach' ? req : undefined;
  } catch {
    return undefined;
  }
}
