/**
 * The control socket's server side, run by the process that runs the pod (foreground `tspod run`
 * and the detached supervisor alike), for the pod's whole life. See protocol.ts for the messages.
 *
 * It listens from the moment the pod's name is claimed, before the sandbox exists, so a `stop` may
 * arrive before there is a supervisor to ask: it is kept and applied as soon as one is attached.
 * A `stop` is answered only once the pod has stopped *and* been torn down, so that the command
 * that asked can go on (`rm`) at once. At the end the socket is closed and its file unlinked.
 */
import fs from 'node:fs';
import net from 'node:net';
import { socketAddress } from './address.js';
import { Lines, parseRequest, type ControlReply, type ControlRequest } from './protocol.js';

export interface ControlTarget {
  /** start a graceful stop (idempotent); `timeout` overrides the grace period, in seconds */
  stop(timeout?: number): void;
  /** settles when the pod has stopped and been torn down */
  done: Promise<unknown>;
}

export class ControlServer {
  private readonly connections = new Set<{ socket: net.Socket; pending: number }>();
  private closing = false;
  private setTarget!: (t: ControlTarget | undefined) => void;
  private readonly target = new Promise<ControlTarget | undefined>((resolve) => (this.setTarget = resolve));

  private constructor(private readonly server: net.Server, readonly socketPath: string, private readonly warn: (m: string) => void) {
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
    const lines = new Lines();
    let chain = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) {
        conn.pending++;
        // One reply per request, in the order of the requests.
        chain = chain.then(async () => {
          const reply = await this.answer(line);
          // A client gone meanwhile: the write fails (EPIPE) into the 'error' handler below.
          if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
          if (--conn.pending === 0 && this.closing) socket.end();
        }).catch((err) => this.warn(`control socket ${this.socketPath}: ${err}`));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.connections.delete(conn));
  }

  private async answer(line: string): Promise<ControlReply> {
    let req: ControlRequest;
    try {
      req = parseRequest(line);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    if (req.op === 'ping') return { ok: true, pid: process.pid };
    const target = await this.target;
    if (target) {
      target.stop(req.timeout);
      await target.done.catch((err) => this.warn(`the pod ended with an error: ${err}`));
    }
    return { ok: true };
  }
}
