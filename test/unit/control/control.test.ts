import { describe, expect, test } from 'vitest';
import { Lines, parseRequest } from '../../../src/control/protocol.js';
import { collectable } from '../../../src/teardown/gc.js';
import { mountsUnder, parseMountPoints } from '../../../src/mountinfo.js';
import { sampleState } from '../pods/fixtures.js';

describe('control protocol', () => {
  test('requests', () => {
    expect(parseRequest('{"op":"ping"}')).toEqual({ op: 'ping' });
    expect(parseRequest('{"op":"stop"}')).toEqual({ op: 'stop' });
    expect(parseRequest('{"op":"stop","timeout":0}')).toEqual({ op: 'stop', timeout: 0 });
    expect(() => parseRequest('{"op":"stop","timeout":-1}')).toThrow(/whole number/);
    expect(() => parseRequest('{"op":"stop","timeout":"5"}')).toThrow(/whole number/);
    expect(() => parseRequest('{"op":"exec"}')).toThrow(/unknown request "exec"/);
    expect(() => parseRequest('[]')).toThrow(/no "op"/);
    expect(() => parseRequest('stop')).toThrow(/not JSON/);
  });

  test('lines split across chunks', () => {
    const l = new Lines();
    expect(l.push('{"op":')).toEqual([]);
    expect(l.push('"ping"}\n\n{"op":"stop"}\n{')).toEqual(['{"op":"ping"}', '{"op":"stop"}']);
  });
});

describe('gc', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  test('collects orphaned pods, and state-less directories older than a minute; never running or kept ones', () => {
    const s = sampleState();
    expect(collectable({ name: 'p', state: s, supervised: false, condition: 'orphaned' }, now, now)).toBe(true);
    expect(collectable({ name: 'p', state: s, supervised: true, condition: 'running' }, now, 0)).toBe(false);
    expect(
      collectable({ name: 'p', state: { ...s, tornDown: true }, supervised: false, condition: 'terminated' }, now, 0),
    ).toBe(false);
    expect(collectable({ name: 'p', supervised: false, condition: 'creating' }, now, now - 30_000)).toBe(false);
    expect(collectable({ name: 'p', supervised: false, condition: 'creating' }, now, now - 61_000)).toBe(true);
  });

  test('mount points under the pod directories, deepest first, with escapes decoded', () => {
    const info = [
      '36 25 0:32 / /run/tspod/pods/web/shm rw,nosuid - tmpfs shm rw',
      '37 25 0:33 / /var/lib/tspod/pods/web/volumes/my\\040data rw - tmpfs tmpfs rw',
      '38 37 0:34 / /var/lib/tspod/pods/web/volumes/my\\040data/sub rw - tmpfs tmpfs rw',
      '39 25 0:35 / /var/lib/tspod/pods/web2/volumes/x rw - tmpfs tmpfs rw',
      '40 25 0:4 / /run/tspod/netns/web rw - nsfs nsfs rw',
    ].join('\n');
    expect(parseMountPoints(info)[1]).toBe('/var/lib/tspod/pods/web/volumes/my data');
    expect(mountsUnder(['/run/tspod/pods/web', '/var/lib/tspod/pods/web'], info)).toEqual([
      '/var/lib/tspod/pods/web/volumes/my data/sub',
      '/var/lib/tspod/pods/web/volumes/my data',
      '/run/tspod/pods/web/shm',
    ]);
  });
});
