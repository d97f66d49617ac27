/**
 * The one supervisor of many pods (supervisor/host.ts, host-server.ts, host-main.ts's Leaver),
 * without root: pods are doubles that answer readiness and end when told, the socket is a real
 * unix socket in a temporary directory served for this test's own uid.
 *  - every pod answers its own command; the host is idle only once the last pod is gone and no
 *    hand-over is open;
 *  - an error nobody caught is handed to the pod whose code threw it, and to no other; one of no
 *    pod's is only reported;
 *  - each pod sees the TSPOD_* settings of its own command in process.env;
 *  - a stop signal stops every pod and refuses new ones;
 *  - leaving: a pod handed over through a connection accepted before the supervisor began to
 *    leave makes it stay and listen again; with nothing coming, it leaves and removes its socket;
 *  - the socket refuses another uid, and requests that are not for this run root.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PodHost } from '../../../src/supervisor/host.js';
import { HostServer } from '../../../src/supervisor/host-server.js';
import { Leaver } from '../../../src/supervisor/host-main.js';
import { tryConnect } from '../../../src/supervisor/host-client.js';
import { guardPods } from '../../../src/supervisor/last-resort.js';
import { envPerContext } from '../../../src/supervisor/pod-env.js';
import { hostLayout } from '../../../src/layout.js';
import type { HostedPod } from '../../../src/supervisor/supervise.js';
import type { ReadyMessage, SuperviseInput } from '../../../src/supervisor/detach.js';

/** A pod double: answers ready at once, ends when `end` is called, records stop and fail. */
class FakePod implements HostedPod {
  stopped = false;
  failed: unknown[] = [];
  envSeen: string | undefined;
  private finish!: (status: number) => void;
  readonly done = new Promise<number>((resolve) => (this.finish = resolve));
  constructor(
    readonly name: string,
    ready: (m: ReadyMessage) => void,
  ) {
    ready({ ok: true, name });
  }
  stop(): void {
    this.stopped = true;
    this.finish(0);
  }
  fail(err: unknown): void {
    this.failed.push(err);
    this.finish(125);
  }
  warnings: string[] = [];
  warning(reason: string, message: string): void {
    this.warnings.push(`${reason}: ${message}`);
  }
  end(status = 0): void {
    this.finish(status);
  }
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-host-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const input = (name: string, env?: Record<string, string>): SuperviseInput => ({
  roots: { root: path.join(dir, 'root'), runRoot: path.join(dir, 'run') },
  network: 'none',
  explain: false,
  images: {},
  env,
  pod: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [] },
  } as unknown as SuperviseInput['pod'],
});

function newHost() {
  const pods = new Map<string, FakePod>();
  const idles: number[] = [];
  const log: string[] = [];
  const host = new PodHost({
    supervise: (i, ready) => {
      const p = new FakePod(i.pod.metadata.name, ready);
      pods.set(p.name, p);
      return p;
    },
    log: (l) => log.push(l),
    idle: () => idles.push(host.size),
  });
  return { host, pods, idles, log };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('hosting pods', () => {
  test('every pod answers its own command; idle only when the last is gone and no hand-over is open', async () => {
    const { host, pods, idles } = newHost();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => host.host(input(`p${i}`))));
    expect(answers.map((a) => a.ok && a.name)).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
    expect(host.size).toBe(20);
    const closeHandover = host.openHandover();
    for (const p of pods.values()) p.end();
    await tick();
    expect(host.size).toBe(0);
    expect(idles).toEqual([]); // a hand-over is still open
    closeHandover();
    closeHandover(); // (twice changes nothing)
    expect(idles).toEqual([0]);
    expect(host.isIdle).toBe(true);
  });

  test('an error nobody caught goes to the pod whose code threw it; one of no pod is only reported', async () => {
    const { host, pods } = newHost();
    const on = new EventEmitter();
    const strays: unknown[] = [];
    const warnings: string[] = [];
    guardPods(host.storage, { warn: (l) => warnings.push(l), stray: (e) => strays.push(e), on });
    await Promise.all(['a', 'b', 'c'].map((n) => host.host(input(n))));
    // Pod b's code throws, later, from a timer it set: the context follows it there.
    const b = pods.get('b')!;
    const err = new Error('boom');
    host.storage.run({ name: 'b', fail: (e) => b.fail(e) }, () =>
      setTimeout(() => on.emit('uncaughtException', err), 1),
    );
    await tick();
    expect(b.failed).toEqual([err]);
    expect(pods.get('a')!.failed).toEqual([]);
    expect(pods.get('c')!.failed).toEqual([]);
    expect(warnings.join('\n')).toMatch(/pod "b": an error nobody caught: Error: boom/);
    on.emit('unhandledRejection', new Error('nobody'));
    expect(strays).toHaveLength(1);
    expect(host.size).toBe(2);
  });

  test("what a pod's code schedules runs in the context the host gave it: its error ends that pod only", async () => {
    const on = new EventEmitter();
    const failed: string[] = [];
    const host = new PodHost({
      supervise: (i, ready) => {
        const p = new FakePod(i.pod.metadata.name, ready);
        if (p.name === 'bad')
          setTimeout(() => void Promise.resolve().then(() => on.emit('uncaughtException', new Error('in bad'))), 1);
        const fail = p.fail.bind(p);
        p.fail = (e) => {
          failed.push(`${p.name}: ${(e as Error).message}`);
          fail(e);
        };
        return p;
      },
      log: () => undefined,
      idle: () => undefined,
    });
    guardPods(host.storage, { warn: () => undefined, stray: () => failed.push('stray'), on });
    await Promise.all(['good', 'bad', 'other'].map((n) => host.host(input(n))));
    await tick();
    expect(failed).toEqual(['bad: in bad']);
    expect(host.names()).toEqual(['good', 'other']);
  });

  test('each pod sees the TSPOD_* settings of its own command', async () => {
    const base = { PATH: '/bin', TSPOD_LOG_MAX_SIZE: 'the-supervisor-s' } as NodeJS.ProcessEnv;
    const seen: Record<string, string | undefined> = {};
    const host = new PodHost({
      supervise: (i, ready) => {
        const env = envPerContext(base, host.storage);
        const p = new FakePod(i.pod.metadata.name, ready);
        setTimeout(
          () => (seen[p.name] = `${env.TSPOD_LOG_MAX_SIZE} ${env.PATH} ${Object.keys(env).sort().join(',')}`),
          1,
        );
        return p;
      },
      log: () => undefined,
      idle: () => undefined,
    });
    await host.host(input('a', { TSPOD_LOG_MAX_SIZE: '1Mi' }));
    await host.host(input('b', { TSPOD_BACKOFF_BASE_MS: '300' }));
    await tick();
    expect(seen).toEqual({ a: '1Mi /bin PATH,TSPOD_LOG_MAX_SIZE', b: 'undefined /bin PATH,TSPOD_BACKOFF_BASE_MS' });
    expect(envPerContext(base, host.storage).TSPOD_LOG_MAX_SIZE).toBe('the-supervisor-s');
  });

  test('an adopted pod is hosted like a handed one: counted at once, in its own context, gone when it ends', async () => {
    const adopted: FakePod[] = [];
    const idles: number[] = [];
    const host = new PodHost({
      supervise: (i, ready) => new FakePod(i.pod.metadata.name, ready),
      adopt: (_roots, name) => {
        const p = new FakePod(name, () => undefined);
        p.envSeen = host.storage.getStore()?.name;
        adopted.push(p);
        return p;
      },
      log: () => undefined,
      idle: () => idles.push(host.size),
    });
    host.adopt({ root: '/r', runRoot: '/run' }, 'orphan');
    expect(host.names()).toEqual(['orphan']);
    expect(adopted[0]!.envSeen).toBe('orphan');
    adopted[0]!.end();
    await tick();
    expect(host.size).toBe(0);
    expect(idles).toEqual([0]);
  });

  test('a stop signal stops every pod and refuses new ones', async () => {
    const { host, pods, idles } = newHost();
    await Promise.all(['a', 'b'].map((n) => host.host(input(n))));
    host.stopAll();
    expect([...pods.values()].map((p) => p.stopped)).toEqual([true, true]);
    const late = await host.host(input('late'));
    expect(late).toMatchObject({ ok: false, status: 125, error: expect.stringMatching(/stopping.*"late"/) });
    await tick();
    expect(idles).toContain(0);
  });
});

describe('the supervisor socket and leaving', () => {
  const uid = process.getuid!();

  async function serve() {
    const h = newHost();
    const layout = hostLayout({ root: path.join(dir, 'root'), runRoot: path.join(dir, 'run') });
    fs.mkdirSync(layout.supervisorDir, { recursive: true, mode: 0o700 });
    const server = new HostServer({
      socketPath: layout.supervisorSocket,
      runRoot: path.join(dir, 'run'),
      host: h.host,
      log: (l) => h.log.push(l),
      uid,
    });
    await server.listen();
    const released: string[] = [];
    const leaver = new Leaver(layout, h.host, server, { release: () => released.push('lock') }, (l) => h.log.push(l));
    return { ...h, layout, server, leaver, released };
  }

  async function handOver(
    conn: NonNullable<Awaited<ReturnType<typeof tryConnect>>>,
    name: string,
  ): Promise<ReadyMessage> {
    conn.socket.write(JSON.stringify({ op: 'run', input: input(name) }) + '\n');
    return JSON.parse((await conn.next())!) as ReadyMessage;
  }

  test('leaving: a pod handed over through a connection accepted before makes it stay; then, with nothing coming, it leaves', async () => {
    const s = await serve();
    const conn = (await tryConnect(s.layout))!;
    expect(conn.pid).toBe(process.pid);
    expect(s.host.isIdle).toBe(false); // (the greeting came: the connection is counted)
    s.leaver.schedule(0);
    await tick();
    // Leaving has begun: the socket accepts nobody new, the accepted connection goes on.
    expect(await tryConnect(s.layout)).toBeUndefined();
    expect(await handOver(conn, 'late')).toEqual({ ok: true, name: 'late' });
    conn.socket.destroy();
    // It stayed and listens again: a new command is greeted.
    const again = await waitForConnection(s.layout);
    expect(s.log.join('\n')).toMatch(/handed over while leaving: staying/);
    expect(s.released).toEqual([]);
    again.socket.destroy();
    s.pods.get('late')!.end();
    s.leaver.schedule(0);
    await s.leaver.gone;
    expect(s.released).toEqual(['lock']);
    expect(fs.existsSync(s.layout.supervisorSocket)).toBe(false);
    expect(await tryConnect(s.layout)).toBeUndefined();
  }, 10_000);

  test('requests for another run root, and nonsense, are refused by name', async () => {
    const s = await serve();
    const conn = (await tryConnect(s.layout))!;
    const other = { ...input('x'), roots: { root: '/r', runRoot: '/elsewhere' } };
    conn.socket.write(JSON.stringify({ op: 'run', input: other }) + '\n');
    expect(JSON.parse((await conn.next())!)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/run root \/elsewhere is not this supervisor's/),
    });
    const c2 = (await tryConnect(s.layout))!;
    c2.socket.write('{"op":"nonsense"}\n');
    expect(JSON.parse((await c2.next())!)).toMatchObject({ ok: false, error: 'unknown request "nonsense"' });
    const c3 = (await tryConnect(s.layout))!;
    c3.socket.write('{"op":"ping"}\n');
    expect(JSON.parse((await c3.next())!)).toEqual({ ok: true, pid: process.pid, pods: [] });
    await s.server.remove();
  });

  test('a connection from another uid is refused before anything is read', async () => {
    const h = newHost();
    const layout = hostLayout({ root: path.join(dir, 'root'), runRoot: path.join(dir, 'run') });
    fs.mkdirSync(layout.supervisorDir, { recursive: true, mode: 0o700 });
    const server = new HostServer({
      socketPath: layout.supervisorSocket,
      runRoot: path.join(dir, 'run'),
      host: h.host,
      log: () => undefined,
      uid: uid + 1,
    });
    await server.listen();
    await expect(tryConnect(layout)).rejects.toThrow(
      new RegExp(`only uid ${uid + 1} may hand pods to the supervisor \\(not uid ${uid}\\)`),
    );
    expect(h.host.isIdle).toBe(true);
    await server.remove();
  });
});

async function waitForConnection(layout: ReturnType<typeof hostLayout>) {
  for (let i = 0; i < 100; i++) {
    const c = await tryConnect(layout);
    if (c) return c;
    await tick();
  }
  throw new Error('the supervisor never listened again');
}
