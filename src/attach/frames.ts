/**
 * The attach stream on the control socket, after the `attach` request line and its reply: binary
 * frames in both directions, numbered as the channels of Kubernetes' streaming protocol
 * (`v5.channel.k8s.io`, which kubectl attach speaks to the kubelet):
 *
 *     [channel: 1 byte][length: 4 bytes, big-endian][payload: length bytes]
 *
 *     0 stdin    client → supervisor   bytes for the container's stdin
 *     1 stdout   supervisor → client   the container's output (a terminal's, with tty)
 *     2 stderr   supervisor → client   the container's stderr (never with tty)
 *     3 error    supervisor → client   the end of the session: JSON {"status":"Success"|"Failure","reason","message"}
 *     4 resize   client → supervisor   JSON {"Width":COLS,"Height":ROWS}
 *   255 close    client → supervisor   payload [0]: the client's stdin reached EOF
 *
 * A client that simply closes the connection has detached.
 */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface Frame {
  channel: number;
  payload: Buffer;
}

/** A frame's payload is at most this long (a bigger one is a broken peer, not data). */
export const MAX_FRAME = 1 << 20;

export function encodeFrame(channel: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head.writeUInt8(channel, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Cuts a byte stream into frames; a partial frame waits for the next chunk. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 5) {
      const length = this.buf.readUInt32BE(1);
      if (length > MAX_FRAME) throw new Error(`attach frame of ${length} bytes (at most ${MAX_FRAME})`);
      if (this.buf.length < 5 + length) break;
      frames.push({ channel: this.buf.readUInt8(0), payload: Buffer.from(this.buf.subarray(5, 5 + length)) });
      this.buf = this.buf.subarray(5 + length);
    }
    return frames;
  }
}

/** The resize payload, checked: the window size in rows and columns. */
export function parseResize(payload: Buffer): { rows: number; cols: number } {
  const m = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
  if (!ok(m.Width) || !ok(m.Height)) throw new Error('resize: Width and Height must be whole numbers from 0 to 65535');
  return { rows: m.Height, cols: m.Width };
}

export interface EndStatus {
  status: 'Success' | 'Failure';
  reason?: string;
  message?: string;
}
