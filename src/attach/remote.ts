/**
 * The client side of an attach session over the pod's control socket (frames.ts): `tspod attach`
 * asks the supervisor, which holds the container's streams, and gets an AttachHandle that sends
 * frames, while output frames reach the sink.
 */
import net from 'node:net';
import { socketAddress } from '../control/address.js';
import type { AttachRequestMsg } from '../control/protocol.js';
import { Channel, encodeFrame, FrameReader, type EndStatus } from './frames.js';
import type { AttachHandle, AttachSink } from './hub.js';

/** The supervisor refused the session; `message` is its reason. */
export class AttachRefused extends Error {}

/** Connect and ask; resolves with the handle once the supervisor accepted the session. */
export function attachRemote(
  socketPath: string,
  req: Omit<AttachRequestMsg, 'op'>,
  sink: AttachSink,
): Promise<AttachHandle> {
  const addr = socketAddress(socketPath);
  const socket = net.createConnection(addr.address);
  return new Promise<AttachHandle>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let handle: AttachHandle | undefined;
    let ended = false;
    const reader = new FrameReader();
    const end = (why: Parameters<AttachSink['end']>[0]) => {
      if (ended) return;
      ended = true;
      sink.end(why);
    };
    const onFrames = (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.channel === Channel.stdout) sink.output('stdout', f.payload);
        else if (f.channel === Channel.stderr) sink.output('stderr', f.payload);
        else if (f.channel === Channel.error) {
          const status = JSON.parse(f.payload.toString('utf8')) as EndStatus;
          end(status.reason === 'InputEnded' ? 'input-ended' : 'exited');
        }
      }
    };
    socket.on('connect', () => {
      addr.release();
      socket.write(JSON.stringify({ op: 'attach', ...req }) + '\n');
    });
    socket.on('data', (chunk: Buffer) => {
      if (handle) return onFrames(chunk);
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      const reply = JSON.parse(buf.subarray(0, nl).toString('utf8')) as {
        ok: boolean;
        error?: string;
        tty?: boolean;
        stdin?: boolean;
        stdinRefused?: string;
      };
      if (!reply.ok) {
        socket.destroy();
        return reject(new AttachRefused(reply.error ?? 'refused'));
      }
      handle = remoteHandle(socket, reply);
      resolve(handle);
      if (buf.length > nl + 1) onFrames(buf.subarray(nl + 1));
    });
    socket.on('error', (err) => {
      addr.release();
      if (!handle) reject(err);
    });
    // The supervisor is gone (the pod ended and it closed): the session is over.
    socket.on('close', () => {
      if (!handle) reject(new Error(`the control socket ${socketPath} closed without a reply`));
      else end('exited');
    });
  });
}

function remoteHandle(
  socket: net.Socket,
  reply: { tty?: boolean; stdin?: boolean; stdinRefused?: string },
): AttachHandle {
  const send = (channel: number, payload: Buffer | string) => {
    if (!socket.destroyed) socket.write(encodeFrame(channel, payload));
  };
  return {
    tty: reply.tty === true,
    stdin: reply.stdin === true,
    ...(reply.stdinRefused ? { stdinRefused: reply.stdinRefused } : {}),
    write: (chunk) => send(Channel.stdin, chunk),
    endInput: () => send(Channel.close, Buffer.from([Channel.stdin])),
    resize: (rows, cols) => send(Channel.resize, JSON.stringify({ Width: cols, Height: rows })),
    detach: () => socket.end(),
  };
}
