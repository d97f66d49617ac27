/**
 * The state file's writes under faults: an atomic write that fails at the write or at the rename
 * leaves the old file whole and no temporary file; the saver reports a run of failures once,
 * retries, reports the recovery; a ledger save rejects, a status save never does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { realStateFs, writeJsonAtomic, type StateFs } from '../../../src/state/store.js';
import { StateSaver } from '../../../src/state/saver.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-saver-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const fault = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

describe('writeJsonAtomic under faults', () => {
  for (const code of ['ENOSPC', 'EIO', 'EPIPE']) {
    for (const at of ['writeFile', 'rename'] as const) {
      test(`${code} at ${at}: the old file stays whole, no temporary file is left`, async () => {
        const file = path.join(dir, 'state.json');
        await writeJsonAtomic(file, { v: 1 });
        const sfs: StateFs = {
          ...realStateFs,
          [at]: async (a: string, b: string, m: number) => {
            if (at === 'writeFile') await fs.promises.writeFile(a, String(b).slice(0, 3), { mode: m });
            throw fault(code);
          },
        };
        await expect(writeJsonAtomic(file, { v: 2 }, 0o600, sfs)).rejects.toMatchObject({ code });
        expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ v: 1 });
        expect(fs.readdirSync(dir)).toEqual(['state.json']);
      });
    }
  }
});

describe('StateSaver', () => {
  test('a run of failures is reported once, retried, and its end reported', async () => {
    let failing = true;
    let writes = 0;
    const told: string[] = [];
    const saver = new StateSaver(
      async () => {
        writes++;
        if (failing) throw fault('ENOSPC');
      },
      { failed: (e) => told.push(`failed ${e.code}`), recovered: (n) => told.push(`recovered after ${n}`) },
      20,
    );
    await expect(saver.strict()).rejects.toMatchObject({ code: 'ENOSPC' });
    await saver.lenient(); // never rejects
    expect(saver.failing).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(writes).toBeGreaterThan(3); // retried on its own
    expect(told).toEqual(['failed ENOSPC']);
    failing = false;
    await new Promise((r) => setTimeout(r, 100));
    expect(saver.failing).toBe(false);
    expect(told).toHaveLength(2);
    expect(told[1]).toMatch(/^recovered after \d+$/);
    const after = writes;
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toBe(after); // no retries once it works
    await saver.close();
  });

  test('writes one at a time, in order; the saves asked for while a write waits share it', async () => {
    const order: number[] = [];
    let n = 0;
    let writing = 0;
    let overlapped = false;
    const saver = new StateSaver(
      async () => {
        const mine = n++;
        overlapped ||= writing++ > 0;
        await new Promise((r) => setTimeout(r, 5 - mine));
        writing--;
        order.push(mine);
      },
      { failed: () => undefined, recovered: () => undefined },
    );
    const first = saver.lenient();
    await new Promise((r) => setImmediate(r)); // the first write has begun
    await Promise.all([first, saver.strict(), saver.lenient(), saver.strict()]);
    expect(order).toEqual([0, 1]);
    expect(overlapped).toBe(false);
  });

  test('a save resolves only once a write that began after it was asked for has ended', async () => {
    let value = 'old';
    const written: string[] = [];
    const saver = new StateSaver(
      async () => {
        const seen = value; // what a write holds: the state when it begins
        await new Promise((r) => setTimeout(r, 5));
        written.push(seen);
      },
      { failed: () => undefined, recovered: () => undefined },
    );
    const first = saver.strict();
    await new Promise((r) => setImmediate(r));
    value = 'new';
    await saver.strict();
    await first;
    expect(written).toEqual(['old', 'new']);
  });

  test('the strict saves that share a failed write all reject', async () => {
    const saver = new StateSaver(
      async () => {
        throw fault('ENOSPC');
      },
      { failed: () => undefined, recovered: () => undefined },
      60_000,
    );
    const results = await Promise.allSettled([saver.strict(), saver.strict()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await saver.close();
  });

  test('close stops the retries', async () => {
    let writes = 0;
    const saver = new StateSaver(
      async () => {
        writes++;
        throw fault('EIO');
      },
      { failed: () => undefined, recovered: () => undefined },
      10,
    );
    await saver.lenient();
    await saver.close();
    const at = writes;
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toBe(at);
  });
});
