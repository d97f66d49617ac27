/**
 * A container's output comes back byte for byte: busybox printf writes CRLF, NUL, bytes that are
 * not UTF-8, a line longer than the 16 KiB split size and a last line without a newline; the
 * foreground `name | ` output, `logs`, `logs -f`, `logs --previous` and `logs --timestamps` give
 * back exactly those bytes, and the record times are nanosecond read times, strictly increasing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseLog } from '../../src/logs/cri-log.js';
import { TSPOD, pod, removeRoots, waitFor, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('bytes');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

/** `tspod ARGS` with its output as bytes (the shared helpers decode it as UTF-8). */
function tspodBytes(
  args: string[],
  input = '',
): { done: Promise<{ code: number | null; stdout: Buffer; stderr: string }>; seen: () => Buffer } {
  const child = spawn(process.execPath, [TSPOD, ...args], { env: roots.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.stdin.end(input);
  const done = new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr })),
  );
  return { done, seen: () => Buffer.concat(out) };
}

const LONG = 40_000;
/** What the script below writes to stdout. */
const expected = Buffer.concat([
  Buffer.from('one\r\ntwo\nthree\r\n'),
  Buffer.from([0xff, 0xfe, 0x72, 0x61, 0x77, 0x00, 0x6e, 0x75, 0x6c, 0x0d, 0x0a]),
  Buffer.alloc(LONG, 0x78),
  Buffer.from('\n\r\r\n\n'),
  Buffer.from('last line without newline'),
]);
// stderr first, a moment before the rest: its line comes first when the streams merge by time.
const script = [
  "printf 'err\\r\\n' >&2; sleep 0.2",
  "printf 'one\\r\\ntwo\\nthree\\r\\n'",
  "printf '\\377\\376raw\\000nul\\r\\n'",
  `head -c ${LONG} /dev/zero | tr '\\000' x`,
  "printf '\\n\\r\\r\\n\\n'",
  "printf 'last line without newline'",
].join('; ');

describe('log bytes', () => {
  test('foreground output, logs and logs --timestamps give back the bytes written', async () => {
    const manifest = JSON.stringify(pod('bytes', { restartPolicy: 'Never', containers: [busybox('main', script)] }));
    const run = await tspodBytes(['run', '--keep', '--network', 'none', '-'], manifest).done;
    expect(run.code, run.stderr).toBe(0);
    // Foreground: `main | ` before each line, the bytes unchanged, the last line left open.
    const lines = splitKeep(expected);
    expect(run.stdout.equals(Buffer.concat(lines.map((l) => Buffer.concat([Buffer.from('main | '), l]))))).toBe(true);
    expect(run.stderr).toContain('main | err\r\n');

    const logs = await tspodBytes(['logs', '-c', 'main', 'bytes']).done;
    expect(logs.code, logs.stderr).toBe(0);
    const outLines = splitKeep(logs.stdout);
    // stdout's lines in order; stderr's one line somewhere among them (merged by time).
    const err = outLines.findIndex((l) => l.toString('latin1') === 'err\r\n');
    expect(err).toBeGreaterThanOrEqual(0);
    outLines.splice(err, 1);
    expect(Buffer.concat(outLines).equals(expected)).toBe(true);

    const stamped = (await tspodBytes(['logs', '--timestamps', '-c', 'main', 'bytes']).done).stdout;
    const stampedLines = splitKeep(stamped);
    expect(stampedLines).toHaveLength(outLines.length + 1);
    for (const l of stampedLines) expect(l.toString('latin1')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);

    // On disk: the long line is split into 16 KiB P records; times strictly increase.
    const records = parseLog(fs.readFileSync(path.join(roots.root, 'pods/bytes/logs/main/0.log')));
    expect(records.filter((r) => r.content.length === 16 * 1024 && r.partial).length).toBeGreaterThanOrEqual(2);
    const times = records.filter((r) => r.stream === 'stdout').map((r) => r.time);
    for (let i = 1; i < times.length; i++) expect(times[i] > times[i - 1]).toBe(true);
    const state = readState(roots, 'bytes');
    await tspodBytes(['rm', 'bytes']).done;
    await expectNothingLeft(roots, [state]);
  });

  test('logs -f while it runs, and --previous after a restart, give back the same bytes', async () => {
    // First run: the bytes, then a pause (logs -f is following by then), then exit 1; second: exit 0.
    const twice = `${script}; sleep 1; n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n; [ "$n" -ge 1 ] && exit 0; exit 1`;
    const manifest = pod('again', {
      restartPolicy: 'OnFailure',
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [busybox('main', twice, { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
    });
    const started = await tspodBytes(['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest)).done;
    expect(started.code, started.stderr).toBe(0);
    const follow = tspodBytes(['logs', '-f', '-c', 'main', 'again']);
    const followed = await follow.done;
    expect(followed.code, followed.stderr).toBe(0);
    expect(withoutErrLine(followed.stdout).equals(expected)).toBe(true);

    await waitFor(
      'the second instance to end',
      () => (readState(roots, 'again').status.phase === 'Succeeded' ? true : undefined),
      30_000,
    );
    const previous = await tspodBytes(['logs', '--previous', '-c', 'main', 'again']).done;
    expect(previous.code, previous.stderr).toBe(0);
    expect(withoutErrLine(previous.stdout).equals(expected)).toBe(true);
    const current = await tspodBytes(['logs', '-c', 'main', 'again']).done;
    expect(withoutErrLine(current.stdout).equals(expected)).toBe(true);
    const state = readState(roots, 'again');
    await tspodBytes(['rm', 'again']).done;
    await expectNothingLeft(roots, [state]);
  });
});

/** Lines with their newline kept (the last one may have none). */
function splitKeep(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < b.length) {
    const nl = b.indexOf(0x0a, start);
    const end = nl < 0 ? b.length : nl + 1;
    out.push(b.subarray(start, end));
    start = end;
  }
  return out;
}

function withoutErrLine(b: Buffer): Buffer {
  return Buffer.concat(splitKeep(b).filter((l) => l.toString('latin1') !== 'err\r\n'));
}
