/**
 * A grpc probe (pkg/probe/grpc): the standard health check, `grpc.health.v1.Health/Check` with the
 * probe's `service`, over plain text (no TLS, as the kubelet), within the timeout; SERVING is a
 * success, any other status or error a failure, worded as the kubelet words them.
 *
 * This module, and with it @grpc/grpc-js, is imported only when a pod has a grpc probe (run.ts):
 * no other command or pod pays for loading it. The two messages are small enough to encode by
 * hand: HealthCheckRequest is `string service = 1`, HealthCheckResponse `ServingStatus status = 1`.
 */
import { KUBE_VERSION, type ProbeResult } from './result.js';
import { joinHostPort } from './target.js';

const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** Protobuf: field 1, wire type 2 (length-delimited), the UTF-8 service name. */
export function encodeRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  if (s.length === 0) return Buffer.alloc(0);
  const len: number[] = [];
  for (let n = s.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...len]), s]);
}

/** Protobuf: field 1, wire type 0 (varint): the status number (absent = 0, UNKNOWN). */
export function decodeStatus(b: Buffer): number {
  for (let i = 0; i < b.length;) {
    const key = b.readUInt8(i++);
    let v = 0;
    for (let shift = 0; i < b.length; shift += 7) {
      const byte = b.readUInt8(i++);
      v |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    if (key === 0x08) return v;
  }
  return 0;
}

/** The few parts of @grpc/grpc-js used here (its own types stay out of the build of every other path). */
interface ServiceError extends Error {
  code: number;
  details: string;
}
interface Client {
  waitForReady(deadline: Date, cb: (err?: Error) => void): void;
  makeUnaryRequest<Q, A>(
    method: string,
    ser: (q: Q) => Buffer,
    de: (b: Buffer) => A,
    arg: Q,
    md: unknown,
    opts: { deadline: Date },
    cb: (err: ServiceError | null, v?: A) => void,
  ): void;
  close(): void;
}
interface Grpc {
  Client: new (addr: string, creds: unknown, opts: Record<string, string>) => Client;
  credentials: { createInsecure(): unknown };
  Metadata: new () => unknown;
  status: { UNIMPLEMENTED: number; DEADLINE_EXCEEDED: number };
}

/** The library's name in a variable: the bundler leaves the import to run time, on first use. */
const GRPC_LIBRARY = '@grpc/grpc-js';
let lib: Promise<Grpc> | undefined;

export async function probeGrpc(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeResult> {
  const grpc = await (lib ??= import(GRPC_LIBRARY) as Promise<Grpc>);
  const addr = joinHostPort(host, port);
  const client = new grpc.Client(addr, grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': `kube-probe/${KUBE_VERSION}`,
  });
  const deadline = new Date(Date.now() + timeoutMs);
  return new Promise<ProbeResult>((resolve) => {
    client.waitForReady(deadline, (err) => {
      if (err) {
        resolve({
          outcome: 'failure',
          output: `timeout: failed to connect service "${addr}" within ${timeoutMs / 1000}s: ${err.message}`,
        });
        return;
      }
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        encodeRequest,
        decodeStatus,
        service,
        new grpc.Metadata(),
        { deadline },
        (e, status) => {
          if (e) resolve({ outcome: 'failure', output: rpcError(grpc, e, timeoutMs) });
          else if (status === 1) resolve({ outcome: 'success', output: 'service healthy' });
          else
            resolve({
              outcome: 'failure',
              output: `service unhealthy (responded with "${STATUS[status ?? 0] ?? status}")`,
            });
        },
      );
    });
  }).finally(() => client.close());
}

function rpcError(grpc: Grpc, e: ServiceError, timeoutMs: number): string {
  if (e.code === grpc.status.UNIMPLEMENTED)
    return `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${e.details}`;
  if (e.code === grpc.status.DEADLINE_EXCEEDED)
    return `timeout: health rpc did not complete within ${timeoutMs / 1000}s`;
  return `error: health rpc probe failed: ${e.message}`;
}
