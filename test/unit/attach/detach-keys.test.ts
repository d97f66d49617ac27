import { describe, expect, test } from 'vitest';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../../../src/attach/detach-keys.js';
import { detachKeysArg } from '../../../src/cli/attach.js';

describe('detach keys', () => {
  test('the format of docker and kubectl', () => {
    expect([...parseDetachKeys(DEFAULT_DETACH_KEYS)]).toEqual([0x10, 0x11]);
    expect([...parseDetachKeys('ctrl-a')]).toEqual([1]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([0, 27, 28, 29, 30, 31]);
    expect([...parseDetachKeys('ctrl-P,q')]).toEqual([0x10, 0x71]);
    expect(() => parseDetachKeys('ctrl-1')).toThrow('invalid detach keys "ctrl-1": unknown key "ctrl-1"');
    expect(() => parseDetachKeys('alt-x')).toThrow('unknown key "alt-x"');
    expect(() => parseDetachKeys('')).toThrow('unknown key ""');
  });

  test('--detach-keys: a usage error naming the option', () => {
    expect(() => detachKeysArg('ctrl-p,,ctrl-q')).toThrow(/^error: --detach-keys: invalid detach keys/);
    expect([...detachKeysArg('ctrl-x')]).toEqual([0x18]);
  });

  test(
    'the sequence detaches; the keys before it pass; ' + 'a prefix that is not the sequence is typed input after all',
    () => {
      const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
      expect(s.push(Buffer.from('ls\r'))).toEqual({ forward: Buffer.from('ls\r'), detach: false });
      // ctrl-p then "a": both are input (a shell's previous line, then a)
      expect(s.push(Buffer.from([0x10]))).toEqual({ forward: Buffer.alloc(0), detach: false });
      expect(s.push(Buffer.from('a'))).toEqual({ forward: Buffer.from([0x10, 0x61]), detach: false });
      // ctrl-p ctrl-p ctrl-q: the first ctrl-p is input, the other two detach
      expect(s.push(Buffer.from([0x10, 0x10, 0x11, 0x62]))).toEqual({ forward: Buffer.from([0x10]), detach: true });
    },
  );

  test('the sequence split over reads still detaches', () => {
    const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(s.push(Buffer.from([0x78, 0x10])).forward).toEqual(Buffer.from('x'));
    expect(s.push(Buffer.from([0x11]))).toEqual({ forward: Buffer.alloc(0), detach: true });
  });
});
