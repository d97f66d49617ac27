/**
 * The supervisor's side of an attach session on a control-socket connection: the reply line, then
 * the container's output as frames to the client, and the client's frames (stdin, resize, close)
 * to the hub (frames.ts has the format). The session ends when the container's instance ends
 * (an `error` frame with the status, then the connection closes), or when the client detaches by
 * closing the connection; the container runs on.
 */
import type net from 'node:net';
import { Channel, encodeFrame, FrameReader, parseResize, type EndStatus } from './frames.js';
import type { AttachHandle, AttachSink } from './hub.js';

/** How the session's handle is obtained (Supervisor.attach); it throws when there is nothing to attach to. */
export type OpenSession = (sink: AttachSink) => AttachHandle;

export function serveAttach(socket: net.Socket, rest: Buffer, open: OpenSession): void {
  let handle: AttachHandle;
  const send = (channel: number, payload: Buffer | string) => {
    if (!socket.destroyed && socket.writable) socket.write(encodeFrame(channel, payload));
  };
  const sink: AttachSink = {
    output: (stream, chunk) => send(stream === 'stdout' ? Channel.stdout : Channel.stderr, chunk),
    end: (why) => {
      if (why === 'detached') return void socket.destroy();
      const status: EndStatus = { status: 'Success', reason: why === 'exited' ? 'ContainerExited' : 'InputEnded' };
      send(Channel.error, JSON.stringify(status));
      socket.end();
    },
  };
  try {
    handle = open(sink);
  } catch (err) {
    socket.end(JSON.stringify({ ok: false, error: (err as Error).message }) + '\n');
    socket.resume();
    return;
  }
  socket.write(
    JSON.stringify({
      ok: true,
      tty: handle.tty,
      stdin: handle.stdin,
      ...(handle.stdinRefused ? { stdinRefused: handle.stdinRefused } : {}),
    }) + '\n',
  );
  const reader = new FrameReader();
  const onFrames = (chunk: Buffer) => {
    try {
      for (const f of reader.push(chunk)) {
        if (f.channel === Channel.stdin) handle.write(f.payload);
        else if (f.channel === Channel.resize) {
          const { rows, cols } = parseResize(f.payload);
          handle.resize(rows, cols);
        } else if (f.channel === Channel.close && f.payload[0] === Channel.stdin) handle.endInput();
      }
    } catch (err) {
      send(
        Channel.error,
        JSON.stringify({
          status: 'Failure',
          reason: 'BadRequest',
          message: (err as Error).message,
        } satisfies EndStatus),
      );
      handle.detach();
      socket.end();
    }
  };
  if (rest.length > 0) onFrames(rest);
  socket.on('data', onFrames);
  socket.on('error', () => undefined);
  // The client went away (or detached): the session leaves; the container runs on.
  socket.on('close', () => handle.detach());
  socket.resume();
}
