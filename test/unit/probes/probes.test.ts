import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { probeHttp, probeUrl, requestHeaders } from '../../../src/probes/http.js';
import { ProbeError } from '../../../src/probes/result.js';
import { resolvePort } from '../../../src/probes/target.js';
import { probeTcp } from '../../../src/probes/tcp.js';
import { ProbeWorker, type Verdict } from '../../../src/probes/worker.js';
import { decodeStatus, encodeRequest } from '../../../src/probes/grpc.js';
import type { Container, Probe } from '../../../src/manifest/types.js';

const probe = (o: Partial<Probe> = {}): Probe => ({
  exec: { command: ['true'] },
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  ...o,
});

describe('ProbeWorker', () => {
  function worker(
    kind: 'liveness' | 'readiness' | 'startup',
    spec: Probe,
    outcomes: ('success' | 'failure' | 'error')[],
    started = true,
  ) {
    const verdicts: Verdict[] = [];
    const events: string[] = [];
    const w = new ProbeWorker(kind, spec, {
      startedAt: Date.now(),
      started: () => started,
      attempt: async () => {
        const o = outcomes.shift() ?? 'success';
        if (o === 'error') throw new ProbeError('port x not found');
        return { outcome: o, output: o === 'failure' ? 'boom' : '' };
      },
      event: (_t, reason, message) => events.push(`${reason}: ${message}`),
      verdict: (v) => verdicts.push(v),
    });
    return { w, verdicts, events };
  }
  test('failureThreshold failures in a row, not fewer, make a failure; liveness then holds', async () => {
    vi.useFakeTimers();
    const { w, verdicts, events } = worker('liveness', probe({ failureThreshold: 3 }), [
      'failure',
      'failure',
      'success',
      'failure',
      'failure',
      'failure',
      'failure',
    ]);
    w.start();
    for (let i = 0; i < 8; i++) await vi.advanceTimersByTimeAsync(1000);
    w.stop();
    vi.useRealTimers();
    expect(verdicts).toEqual(['success', 'failure']);
    // On hold after the failure: the seventh attempt never ran.
    expect(events).toEqual(Array(5).fill('Unhealthy: Liveness probe failed: boom'));
  });
  test('readiness: successThreshold successes make ready; an error is reported and counts for nothing', async () => {
    vi.useFakeTimers();
    const { w, verdicts, events } = worker('readiness', probe({ successThreshold: 2, failureThreshold: 1 }), [
      'success',
      'error',
      'success',
      'failure',
    ]);
    w.start();
    for (let i = 0; i < 4; i++) await vi.advanceTimersByTimeAsync(1000);
    w.stop();
    vi.useRealTimers();
    expect(verdicts).toEqual(['success', 'failure']);
    expect(events).toEqual([
      'Unhealthy: Readiness probe errored: port x not found',
      'Unhealthy: Readiness probe failed: boom',
    ]);
  });
  test('a startup probe gates the others; it stops once started', async () => {
    vi.useFakeTimers();
    const gated = worker('liveness', probe(), ['failure'], false);
    const startup = worker('startup', probe(), ['success'], true);
    gated.w.start();
    startup.w.start();
    await vi.advanceTimersByTimeAsync(3000);
    gated.w.stop();
    startup.w.stop();
    vi.useRealTimers();
    expect(gated.events).toEqual([]);
    expect(startup.verdicts).toEqual([]);
  });
  test('nothing is probed during initialDelaySeconds', async () => {
    vi.useFakeTimers();
    const { w, events } = worker('liveness', probe({ initialDelaySeconds: 3 }), ['failure', 'failure']);
    w.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    w.stop();
    vi.useRealTimers();
    expect(events).toHaveLength(1);
  });
});

describe('ports', () => {
  const c = { name: 'web', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] } as Container;
  test('by number, by name (the containerPort), a number as a string; an unknown name cannot run', () => {
    expect(resolvePort(80, c)).toBe(80);
    expect(resolvePort('http', c)).toBe(8080);
    expect(resolvePort('8081', c)).toBe(8081);
    expect(() => resolvePort('nope', c)).toThrow(new ProbeError('port nope not found'));
  });
});

describe('httpGet and tcpSocket on loopback', () => {
  let server: http.Server;
  let port: number;
  const seen: http.IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/ok') res.end('fine');
      else if (req.url === '/hop') res.writeHead(302, { Location: '/ok' }).end();
      else if (req.url === '/away') res.writeHead(301, { Location: 'http://localhost:1/x' }).end('moved');
      else if (req.url === '/loop') res.writeHead(302, { Location: '/loop' }).end();
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 1500);
      else res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const get = (path: string, headers = requestHeaders({ path, port: 0, scheme: 'HTTP' }, 'kube-probe'), ms = 1000) =>
    probeHttp(probeUrl({ path, port, scheme: 'HTTP' }, '127.0.0.1', port), headers, ms);

  test('2xx succeeds with kube-probe headers; manifest headers win', async () => {
    expect(await get('/ok')).toEqual({ outcome: 'success', output: 'fine' });
    expect(seen.at(-1)).toMatchObject({ 'user-agent': 'kube-probe/1.34', accept: '*/*' });
    await get(
      '/ok',
      requestHeaders(
        {
          path: '/ok',
          port,
          scheme: 'HTTP',
          httpHeaders: [
            { name: 'user-agent', value: 'mine' },
            { name: 'X-A', value: 'b' },
          ],
        },
        'kube-probe',
      ),
    );
    expect(seen.at(-1)).toMatchObject({ 'user-agent': 'mine', 'x-a': 'b' });
  });
  test('same-host redirects are followed (at most 10); another host is a warning', async () => {
    expect(await get('/hop')).toEqual({ outcome: 'success', output: 'fine' });
    expect(await get('/away')).toEqual({
      outcome: 'warning',
      output: 'Probe terminated redirects, Response body: moved',
    });
    expect((await get('/loop')).output).toMatch(/stopped after 10 redirects$/);
  });
  test("a 5xx, a timeout and a refused connection fail with the kubelet's words", async () => {
    expect(await get('/bad')).toEqual({ outcome: 'failure', output: 'HTTP probe failed with statuscode: 500' });
    expect((await get('/slow', undefined, 200)).output).toBe(
      `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    );
    expect(await probeTcp('127.0.0.1', port, 1000)).toEqual({ outcome: 'success', output: '' });
    expect(await probeTcp('127.0.0.1', 1, 1000)).toEqual({
      outcome: 'failure',
      output: 'dial tcp 127.0.0.1:1: connect: connection refused',
    });
  });
});

describe('grpc health messages', () => {
  test('HealthCheckRequest and HealthCheckResponse in protobuf', () => {
    expect(encodeRequest('')).toEqual(Buffer.alloc(0));
    expect(encodeRequest('db')).toEqual(Buffer.from([0x0a, 2, 0x64, 0x62]));
    expect(decodeStatus(Buffer.from([0x08, 1]))).toBe(1);
    expect(decodeStatus(Buffer.alloc(0))).toBe(0);
  });
});

describe('grpc probe against a health server on loopback', () => {
  test('SERVING succeeds (the whole server and a named service); NOT_SERVING and a closed port fail', async () => {
    const grpc = await import('@grpc/grpc-js');
    const { probeGrpc } = await import('../../../src/probes/grpc.js');
    const server = new grpc.Server();
    const statuses: Record<string, number> = { '': 1, db: 2, web: 1 };
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => ({ service: b.length > 2 ? b.subarray(2).toString() : '' }),
          responseSerialize: (n: number) => Buffer.from([0x08, n]),
          responseDeserialize: (b: Buffer) => b,
        },
      } as never,
      {
        Check: (call: { request: { service: string } }, cb: (e: null, v: number) => void) =>
          cb(null, statuses[call.request.service] ?? 3),
      } as never,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    try {
      expect(await probeGrpc('127.0.0.1', port, '', 2000)).toEqual({ outcome: 'success', output: 'service healthy' });
      expect(await probeGrpc('127.0.0.1', port, 'web', 2000)).toEqual({
        outcome: 'success',
        output: 'service healthy',
      });
      expect(await probeGrpc('127.0.0.1', port, 'db', 2000)).toEqual({
        outcome: 'failure',
        output: 'service unhealthy (responded with "NOT_SERVING")',
      });
      expect((await probeGrpc('127.0.0.1', 1, '', 500)).output).toMatch(
        /^timeout: failed to connect service "127\.0\.0\.1:1" within 0\.5s/,
      );
    } finally {
      server.forceShutdown();
    }
  });
});
