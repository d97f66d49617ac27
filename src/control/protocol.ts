/**
 * The control protocol between tspod commands and the process that runs a pod (its supervisor).
 *
 * Transport: a unix stream socket at `<run-root>/pods/<name>/control.sock`, mode 0600 in a 0700
 * directory, so only root reaches it. Never an abstract socket: those live in the network
 * namespace, where any process of a `hostNetwork` pod could connect to them.
 *
 * Messages: JSON, one object per line, each request answered by one reply, in order.
 *
 *     → {"op":"ping"}                 ← {"ok":true,"pid":4242}
 *     → {"op":"stop","timeout":10}    ← {"ok":true}          (once the pod has stopped and is torn down)
 *     → {"op":"nonsense"}             ← {"ok":false,"error":"unknown request \"nonsense\""}
 *
 * `timeout` is the grace period in seconds; without it, the pod's terminationGracePeriodSeconds.
 *
 *     → {"op":"attach","container":"shell","stdin":true}
 *     ← {"ok":true,"tty":true,"stdin":true}   then binary frames both ways (attach/frames.ts)
 *
 * An attach takes the connection over: after its reply, the connection carries that session only.
 */
export type ControlRequest = { op: 'ping' } | { op: 'stop'; timeout?: number } | AttachRequestMsg;

export interface AttachRequestMsg {
  op: 'attach';
  container: string;
  stdin: boolean;
}

export type ControlReply = ({ ok: true } & Record<string, unknown>) | { ok: false; error: string };

/** Check a decoded line; a readable error for anything else. */
export function parseRequest(line: string): ControlRequest {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new Error('request is not JSON');
  }
  const m = msg as { op?: unknown; timeout?: unknown; container?: unknown; stdin?: unknown };
  if (typeof msg !== 'object' || msg === null || typeof m.op !== 'string') throw new Error('request has no "op"');
  if (m.op === 'ping') return { op: 'ping' };
  if (m.op === 'stop') {
    if (m.timeout === undefined) return { op: 'stop' };
    if (typeof m.timeout !== 'number' || !Number.isInteger(m.timeout) || m.timeout < 0)
      throw new Error('stop: "timeout" must be a whole number of seconds');
    return { op: 'stop', timeout: m.timeout };
  }
  if (m.op === 'attach') {
    if (typeof m.container !== 'string' || m.container === '')
      throw new Error('attach: "container" must be a container name');
    if (m.stdin !== undefined && typeof m.stdin !== 'boolean') throw new Error('attach: "stdin" must be true or false');
    return { op: 'attach', container: m.container, stdin: m.stdin === true };
  }
  throw new Error(`unknown request "${m.op}"`);
}

/** Split a byte stream into lines (the last, unterminated piece is kept for the next chunk). */
export class Lines {
  private buf = '';

  push(chunk: string): string[] {
    this.buf += chunk;
    const lines = this.buf.split('\n');
    this.buf = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '');
  }
}
