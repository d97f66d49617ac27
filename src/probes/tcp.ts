/**
 * A tcpSocket probe (pkg/probe/tcp): success when a TCP connection to the port opens within the
 * timeout; it is closed at once. The output of a failure is the connection error, worded as Go's
 * dialer words it (`dial tcp 10.203.0.5:80: connect: connection refused`), since that is what
 * `kubectl describe` shows under a kubelet.
 */
import net from 'node:net';
import { joinHostPort } from './target.js';
import type { ProbeResult } from './result.js';

/** Go's words for the usual connection errors. */
export function dialError(host: string, port: number, err: NodeJS.ErrnoException | 'timeout'): string {
  const addr = `dial tcp ${joinHostPort(host, port)}`;
  if (err === 'timeout') return `${addr}: i/o timeout`;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connect: connection refused',
    EHOSTUNREACH: 'connect: no route to host',
    ENETUNREACH: 'connect: network is unreachable',
    ECONNRESET: 'read: connection reset by peer',
  };
  return `${addr}: ${words[err.code ?? ''] ?? err.message}`;
}

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ outcome: 'failure', output: dialError(host, port, 'timeout') }), timeoutMs);
    sock.once('connect', () => done({ outcome: 'success', output: '' }));
    sock.once('error', (err) => done({ outcome: 'failure', output: dialError(host, port, err) }));
  });
}
