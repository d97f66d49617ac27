/**
 * The user-namespace range allocator: aligned blocks of 65536 host ids above the host's own, one
 * claim file per block made with O_EXCL (so concurrent claimers never share a block), freed only by
 * its holder, and by gc when the holder is gone.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  USERNS_LENGTH,
  claimRange,
  claimsDir,
  freeStaleRanges,
  hostIdOf,
  idMapLine,
  listClaims,
  readClaim,
  releaseRange,
} from '../../../src/state/userns-ranges.js';
import type { Roots } from '../../../src/paths.js';

let roots: Roots;
beforeEach(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-userns-'));
  roots = { root: path.join(dir, 'root'), runRoot: path.join(dir, 'run'), idRangesDir: path.join(dir, 'userns') };
});
afterEach(() => fs.rmSync(path.dirname(roots.runRoot), { recursive: true, force: true }));

describe('claimRange', () => {
  test("the first block is 65536..131071, never the host's 0..65535; the next pod gets the next block", () => {
    const a = claimRange(roots, { pod: 'a', uid: 'ua' });
    const b = claimRange(roots, { pod: 'b', uid: 'ub' });
    expect(a).toEqual({ hostId: 65536, length: 65536 });
    expect(b).toEqual({ hostId: 131072, length: 65536 });
    expect(readClaim(roots, 65536)).toEqual({ pod: 'a', uid: 'ua', runRoot: roots.runRoot });
    expect(idMapLine(a)).toBe('0 65536 65536');
  });

  test('a freed block is given again; a block held stays held', () => {
    const a = claimRange(roots, { pod: 'a', uid: 'ua' });
    claimRange(roots, { pod: 'b', uid: 'ub' });
    expect(releaseRange(roots, a, 'ua')).toBe(true);
    expect(claimRange(roots, { pod: 'c', uid: 'uc' }).hostId).toBe(a.hostId);
    expect(listClaims(roots).map((c) => c.claim?.pod)).toEqual(['c', 'b']);
  });

  test('release by another pod (a stale teardown) frees nothing', () => {
    const a = claimRange(roots, { pod: 'a', uid: 'ua' });
    expect(releaseRange(roots, a, 'someone-else')).toBe(false);
    expect(readClaim(roots, a.hostId)?.uid).toBe('ua');
  });

  test('when every block is taken the error says so', () => {
    claimRange(roots, { pod: 'a', uid: 'ua' }, 2);
    claimRange(roots, { pod: 'b', uid: 'ub' }, 2);
    expect(() => claimRange(roots, { pod: 'c', uid: 'uc' }, 2)).toThrow(/no free range of 65536 host ids .*pod "c"/);
  });

  test('claims from concurrent processes are disjoint', async () => {
    // The module as plain JavaScript (it imports only node: modules), so that real processes race.
    const dir = path.dirname(roots.runRoot);
    const js = ts.transpileModule(fs.readFileSync('src/state/userns-ranges.ts', 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    fs.writeFileSync(path.join(dir, 'ranges.mjs'), js.outputText);
    const script = path.join(dir, 'claim.mjs');
    fs.writeFileSync(
      script,
      `const m = await import('./ranges.mjs');
const r = [];
const roots = JSON.parse(process.argv[2]);
for (let i = 0; i < 5; i++) {
  r.push(m.claimRange(roots, { pod: 'p' + process.pid, uid: String(process.pid) + i }).hostId);
}

process.send(r);`,
    );
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const child = fork(script, [JSON.stringify(roots)], { execArgv: [] });
        child.on('message', (m) => resolve(m as number[]));
        child.on('error', reject);
        child.on('exit', (code) => code !== 0 && reject(new Error(`claimer exited ${code}`)));
      });
    const all = (await Promise.all([run(), run(), run(), run()])).flat();
    expect(new Set(all).size).toBe(20);
    expect(all.every((h) => h % USERNS_LENGTH === 0 && h >= USERNS_LENGTH)).toBe(true);
  });
});

describe('one claims directory for the host', () => {
  test("two run roots never get the same range; each gc judges only its own (and gone roots') claims", () => {
    const other: Roots = { ...roots, runRoot: path.join(path.dirname(roots.runRoot), 'run2') };
    fs.mkdirSync(roots.runRoot, { recursive: true });
    fs.mkdirSync(other.runRoot, { recursive: true });
    const mine = claimRange(roots, { pod: 'web', uid: 'u1' });
    const theirs = claimRange(other, { pod: 'web', uid: 'u2' });
    expect(theirs.hostId).not.toBe(mine.hostId);
    expect(readClaim(roots, theirs.hostId)).toEqual({ pod: 'web', uid: 'u2', runRoot: other.runRoot });
    // This root's gc knows no pods at all: it frees its own claim, never the other root's.
    expect(freeStaleRanges(roots, () => false)).toEqual([mine.hostId]);
    expect(listClaims(roots).map((c) => c.hostId)).toEqual([theirs.hostId]);
    // Once the other run root is gone, so are its pods: its claim is freed by anyone's gc.
    fs.rmSync(other.runRoot, { recursive: true });
    expect(freeStaleRanges(roots, () => true)).toEqual([theirs.hostId]);
  });
});

describe('freeStaleRanges (gc)', () => {
  test('frees the blocks of pods that are gone, keeps the live ones', () => {
    claimRange(roots, { pod: 'live', uid: 'u1' });
    const gone = claimRange(roots, { pod: 'gone', uid: 'u2' });
    expect(freeStaleRanges(roots, (c) => c.pod === 'live')).toEqual([gone.hostId]);
    expect(listClaims(roots).map((c) => c.claim?.pod)).toEqual(['live']);
  });

  test('a half-written claim is kept while young (it may be being written), freed when old', () => {
    fs.mkdirSync(claimsDir(roots), { recursive: true });
    const file = path.join(claimsDir(roots), '196608');
    fs.writeFileSync(file, '');
    expect(freeStaleRanges(roots, () => true)).toEqual([]);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    expect(freeStaleRanges(roots, () => true)).toEqual([196608]);
  });
});

test('hostIdOf maps container ids into the range and refuses ids outside it', () => {
  const r = { hostId: 131072, length: 65536 };
  expect(hostIdOf(r, 0)).toBe(131072);
  expect(hostIdOf(r, 1000)).toBe(132072);
  expect(() => hostIdOf(r, 65536)).toThrow(RangeError);
});
