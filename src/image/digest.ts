/**
 * Content digests: how an image proves that what was unpacked is what was described.
 *
 * OCI images are content-addressed. Every blob (manifest, config, layer) is named by the sha256 of
 * its exact bytes, in a *descriptor* that also gives its size; the config names each layer's
 * uncompressed tar by its own sha256 (the *diff ID*). So one trusted digest (the manifest's, or the
 * config file name of a `docker save` archive) vouches for every byte below it, and a flipped bit
 * anywhere is a refusal, never a silently different root filesystem.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { groups } from '../checked.js';

export type Algorithm = 'sha256' | 'sha512';

export interface Digest {
  algorithm: Algorithm;
  hex: string;
}

const HEX_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };

/** Parses `sha256:<64 hex>` (or sha512); anything else, which could smuggle a path, is refused. */
export function parseDigest(text: unknown, what: string): Digest {
  if (typeof text !== 'string') throw new Error(`${what}: digest is missing`);
  const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(text);
  const [algorithm, hex] = m ? groups(m, 1, 2) : [];
  if (!hex || hex.length !== HEX_LENGTH[algorithm as Algorithm])
    throw new Error(`${what}: "${text}" is not a sha256 or sha512 digest`);
  return { algorithm: algorithm as Algorithm, hex };
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Refuses `bytes` unless they hash to `expected` (and have `size` bytes, when given). */
export function verifyBytes(bytes: Buffer, expected: Digest, what: string, size?: number): void {
  if (size !== undefined && bytes.length !== size) {
    throw new Error(`${what}: size is ${bytes.length} bytes, its descriptor says ${size}`);
  }
  const actual = createHash(expected.algorithm).update(bytes).digest('hex');
  if (actual !== expected.hex) {
    throw new Error(
      `${what}: digest mismatch: expected ${formatDigest(expected)}, got ${expected.algorithm}:${actual}`,
    );
  }
}

/**
 * A pass-through stream that hashes and counts what flows through it. `check()` after the end
 * compares with the expected digest (and size), so a stream can be verified while it is consumed.
 */
export class DigestStream extends Transform {
  private readonly hash: Hash;
  bytes = 0;

  constructor(readonly algorithm: Algorithm = 'sha256') {
    super();
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  private result?: string;

  /** `algorithm:hex` of everything that passed; only meaningful once the stream has ended. */
  digest(): string {
    this.result ??= `${this.algorithm}:${this.hash.digest('hex')}`;
    return this.result;
  }

  check(expected: Digest, what: string, size?: number): void {
    if (size !== undefined && this.bytes !== size) {
      throw new Error(`${what}: size is ${this.bytes} bytes, its descriptor says ${size}`);
    }
    const actual = this.digest();
    if (actual !== formatDigest(expected)) {
      throw new Error(`${what}: digest mismatch: expected ${formatDigest(expected)}, got ${actual}`);
    }
  }
}
