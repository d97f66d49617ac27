/**
 * The control socket's client side: one request, one reply (protocol.ts).
 */
import net from 'node:net';
import { socketAddress } from './address.js';
import { Lines, type ControlReply, type ControlRequest } from './protocol.js';

/** No process listens on the socket (it is not there, or its server is gone). */
export class NotListeningError extends Error {}

export async function controlRequest(
  socketPath: string,
  req: ControlRequest,
  timeoutMs = 0,
): Promise<ControlReply & { ok: true }> {
  const addr = socketAddress(socketPath);
  const socket = net.createConnection(addr.address);
  let released = false;
  const release = () => {
    if (!released) addr.release();
    released = true;
  };
  const reply = await new Promise<ControlReply>((resolve, reject) => {
    const lines = new Lines();
    const timer =
      timeoutMs > 0
        ? setTimeout(() => reject(new Error(`no reply within ${timeoutMs / 1000}s`)), timeoutMs)
        : undefined;
    const settle = () => {
      clearTimeout(timer);
      release();
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      release();
      socket.write(JSON.stringify(req) + '\n');
    });
    socket.on('data', (chunk: string) => {
      const [line] = lines.push(chunk);
      if (line === undefined) return;
      settle();
      try {
        resolve(JSON.parse(line) as ControlReply);
      } catch {
        reject(new Error(`the reply is not JSON: ${line}`));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      settle();
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
        reject(new NotListeningError(`nothing listens on ${socketPath}`, { cause: err }));
      else reject(err);
    });
    socket.on('close', () => {
      settle();
      reject(new Error(`the control socket ${socketPath} closed without a reply`));
    });
  }).finally(() => socket.destroy());
  if (!reply.ok) throw new Error(`the supervisor refused "${req.op}": ${reply.error}`);
  return reply;
}
