import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { controlRequest, NotListeningError } from '../../../src/control/client.js';
import { ControlServer } from '../../../src/control/server.js';

const dirs: string[] = [];
function socketPath(long = false): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-ctl-'));
  dirs.push(dir);
  const sub = long ? path.join(dir, 'x'.repeat(120)) : dir;
  fs.mkdirSync(sub, { recursive: true, mode: 0o700 });
  return path.join(sub, 'control.sock');
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('a filesystem socket, mode 0600; ping; closed and unlinked at the end', async () => {
  const p = socketPath();
  const server = await ControlServer.listen(p, () => undefined);
  const st = fs.statSync(p);
  expect(st.isSocket()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
  expect(await controlRequest(p, { op: 'ping' })).toEqual({ ok: true, pid: process.pid });
  await server.close();
  expect(fs.existsSync(p)).toBe(false);
  await expect(controlRequest(p, { op: 'ping' })).rejects.toBeInstanceOf(NotListeningError);
});

test('a stop that comes before the supervisor is kept, applied on attach, answered once the pod is done', async () => {
  const p = socketPath(true);
  const server = await ControlServer.listen(p, () => undefined);
  const events: string[] = [];
  const reply = controlRequest(p, { op: 'stop', timeout: 3 }).then((r) => {
    events.push('replied');
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  server.attach({ stop: (t) => events.push(`stop ${t}`), done });
  await new Promise((r) => setTimeout(r, 50));
  expect(events).toEqual(['stop 3']);
  events.push('done');
  finish();
  expect(await reply).toEqual({ ok: true });
  expect(events).toEqual(['stop 3', 'done', 'replied']);
  await server.close();
});

test('a bad request gets an error reply; the server stays up', async () => {
  const p = socketPath();
  const server = await ControlServer.listen(p, () => undefined);
  await expect(controlRequest(p, { op: 'reboot' } as never)).rejects.toThrow(
    /refused "reboot": unknown request "reboot"/,
  );
  expect((await controlRequest(p, { op: 'ping' })).ok).toBe(true);
  await server.close();
});

test('closing answers a pending stop (the pod ended without a supervisor)', async () => {
  const p = socketPath();
  const server = await ControlServer.listen(p, () => undefined);
  const reply = controlRequest(p, { op: 'stop' });
  await new Promise((r) => setTimeout(r, 50));
  await server.close();
  expect(await reply).toEqual({ ok: true });
});

test('a client that goes away before its reply (EPIPE, ECONNRESET at the reply) harms neither the server nor the next client', async () => {
  const net = await import('node:net');
  const p = socketPath();
  const warnings: string[] = [];
  const server = await ControlServer.listen(p, (m) => warnings.push(m));
  let finish!: () => void;
  server.attach({ stop: () => undefined, done: new Promise<void>((resolve) => (finish = resolve)) });
  for (let i = 0; i < 20; i++) {
    const s = net.createConnection(p);
    await new Promise((r) => s.once('connect', r));
    s.write(i % 2 ? '{"op":"stop"}\n' : '{"op":"ping"}\n');
    s.destroy(); // gone before the reply is written
  }
  finish(); // the stops' replies now go to closed sockets
  await new Promise((r) => setTimeout(r, 50));
  expect(await controlRequest(p, { op: 'ping' })).toEqual({ ok: true, pid: process.pid });
  await server.close();
  expect(warnings).toEqual([]);
});
