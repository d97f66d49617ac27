import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { AttachHub, type AttachSink } from '../../../src/attach/hub.js';

function recorder() {
  const out: string[] = [];
  const ends: string[] = [];
  const sink: AttachSink = { output: (s, c) => out.push(`${s}:${c.toString()}`), end: (why) => ends.push(why) };
  return { sink, out, ends };
}

function streams() {
  const input = new PassThrough();
  const written: string[] = [];
  input.on('data', (c: Buffer) => written.push(c.toString()));
  const state = { closed: 0, sizes: [] as [number, number][] };
  return {
    input,
    written,
    state,
    hub: { input, closeInput: () => state.closed++, resize: (r: number, c: number) => state.sizes.push([r, c]) },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('attach hub', () => {
  test('every session sees the output from when it attached; stdin only from those that asked', async () => {
    const s = streams();
    const hub = new AttachHub({ name: 'c', stdin: true }, s.hub);
    const a = recorder();
    const ha = hub.attach(a.sink, { stdin: true });
    hub.output('stdout', Buffer.from('one'));
    const b = recorder();
    const hb = hub.attach(b.sink, { stdin: false });
    hub.output('stderr', Buffer.from('two'));
    expect(a.out).toEqual(['stdout:one', 'stderr:two']);
    expect(b.out).toEqual(['stderr:two']);
    ha.write(Buffer.from('typed'));
    hb.write(Buffer.from('ignored'));
    await flush();
    expect(s.written).toEqual(['typed']);
    expect([ha.stdin, hb.stdin]).toEqual([true, false]);
    hub.close();
    expect([a.ends, b.ends]).toEqual([['exited'], ['exited']]);
    expect(() => hub.attach(recorder().sink, { stdin: false })).toThrow('container "c" is not running');
  });

  test("without stdinOnce, the end of a session's input ends that session, and stdin stays open for the next", () => {
    const s = streams();
    const hub = new AttachHub({ name: 'c', stdin: true }, s.hub);
    const a = recorder();
    hub.attach(a.sink, { stdin: true }).endInput();
    expect(a.ends).toEqual(['input-ended']);
    expect(s.state.closed).toBe(0);
    const b = recorder();
    expect(hub.attach(b.sink, { stdin: true }).stdin).toBe(true);
  });

  test(
    "stdinOnce: the first stdin session's end closes stdin (the session still sees the output after EOF); " +
      'later sessions get no stdin',
    () => {
      const s = streams();
      const hub = new AttachHub({ name: 'c', stdin: true, stdinOnce: true }, s.hub);
      const watcher = recorder();
      hub.attach(watcher.sink, { stdin: false }).detach();
      expect(s.state.closed).toBe(0); // a session without stdin does not count
      const a = recorder();
      const ha = hub.attach(a.sink, { stdin: true });
      ha.endInput();
      expect(s.state.closed).toBe(1);
      hub.output('stdout', Buffer.from('after eof'));
      expect(a.out).toEqual(['stdout:after eof']);
      expect(a.ends).toEqual([]);
      const b = hub.attach(recorder().sink, { stdin: true });
      expect(b.stdin).toBe(false);
      expect(b.stdinRefused).toMatch(/closed its stdin \(stdinOnce\)/);
    },
  );

  test('stdinOnce: a detach closes stdin too', () => {
    const s = streams();
    const hub = new AttachHub({ name: 'c', stdin: true, stdinOnce: true }, s.hub);
    const a = recorder();
    hub.attach(a.sink, { stdin: true }).detach();
    expect(s.state.closed).toBe(1);
    expect(a.ends).toEqual(['detached']);
  });

  test('stdinOnce with a terminal: stdin is not closed (that would hang up the terminal), the session ends', () => {
    const s = streams();
    const hub = new AttachHub({ name: 'c', stdin: true, stdinOnce: true, tty: true }, s.hub);
    const a = recorder();
    hub.attach(a.sink, { stdin: true }).endInput();
    expect(s.state.closed).toBe(0);
    expect(a.ends).toEqual(['input-ended']);
  });

  test('a container without stdin: a session that asks is told why it has none', () => {
    const hub = new AttachHub({ name: 'c' }, {});
    const h = hub.attach(recorder().sink, { stdin: true });
    expect(h.stdin).toBe(false);
    expect(h.stdinRefused).toBe('container "c" does not have stdin: true');
  });

  test('window sizes reach a terminal only, and not once the instance ended', () => {
    const s = streams();
    const tty = new AttachHub({ name: 'c', stdin: true, tty: true }, s.hub);
    const h = tty.attach(recorder().sink, { stdin: true });
    h.resize(24, 80);
    h.resize(0, 80);
    tty.close();
    h.resize(30, 100);
    expect(s.state.sizes).toEqual([[24, 80]]);
    const s2 = streams();
    new AttachHub({ name: 'c', stdin: true }, s2.hub).attach(recorder().sink, { stdin: true }).resize(24, 80);
    expect(s2.state.sizes).toEqual([]);
  });
});
