import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DigestStream, parseDigest, sha256, verifyBytes } from '../../../src/image/digest.js';

const HELLO = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

describe('digests', () => {
  it('parses sha256 and sha512 digests', () => {
    expect(parseDigest(HELLO, 'x')).toEqual({ algorithm: 'sha256', hex: HELLO.slice(7) });
    expect(parseDigest(`sha512:${'a'.repeat(128)}`, 'x').algorithm).toBe('sha512');
  });

  it.each([
    undefined,
    'sha256:abc',
    `md5:${'a'.repeat(32)}`,
    `sha256:${'A'.repeat(64)}`,
    `sha256:../../${'a'.repeat(58)}`,
  ])('refuses %j (it could name a path outside blobs/)', (d) => {
    expect(() => parseDigest(d, 'config')).toThrow(/^config: /);
  });

  it('verifies bytes against a digest and a size', () => {
    expect(sha256('hello')).toBe(HELLO);
    expect(() => verifyBytes(Buffer.from('hello'), parseDigest(HELLO, 'x'), 'blob', 5)).not.toThrow();
    expect(() => verifyBytes(Buffer.from('hellO'), parseDigest(HELLO, 'x'), 'blob')).toThrow(
      /^blob: digest mismatch: expected sha256:2cf2/,
    );
    expect(() => verifyBytes(Buffer.from('hello'), parseDigest(HELLO, 'x'), 'blob', 6)).toThrow(
      'blob: size is 5 bytes, its descriptor says 6',
    );
  });

  it('hashes a stream as it flows', async () => {
    const d = new DigestStream();
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from('hel'), Buffer.from('lo')]),
      d,
      new Writable({ write: (c, _e, cb) => (out.push(c), cb()) }),
    );
    expect(Buffer.concat(out).toString()).toBe('hello');
    expect(d.digest()).toBe(HELLO);
    expect(() => d.check(parseDigest(HELLO, 'x'), 'layer', 5)).not.toThrow();
    expect(() => d.check(parseDigest(sha256('other'), 'x'), 'layer')).toThrow(/^layer: digest mismatch/);
  });
});
