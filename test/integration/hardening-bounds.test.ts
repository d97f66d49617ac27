/**
 * Hostile manifests through the command line: each is refused before anything is made, with exit
 * status 125 and a message naming the position or the field, and nothing is left on the host.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, newRoots, pod, removeRoots, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('bounds');
});
afterAll(() => removeRoots(roots));

const container = (extra: object = {}) => ({ name: 'c', image: 'busybox', command: ['true'], ...extra });

async function refused(manifestText: string): Promise<string> {
  const file = path.join(roots.dir, 'm.json');
  fs.writeFileSync(file, manifestText);
  const res = await tspod(roots, ['run', '--network', 'none', file]);
  expect(res.code, res.stderr).toBe(125);
  expect(fs.existsSync(path.join(roots.root, 'pods')) ? fs.readdirSync(path.join(roots.root, 'pods')) : []).toEqual([]);
  expectClean(roots);
  return res.stderr;
}

describe('manifest bounds', () => {
  test("a 50 MB manifest is refused at once, naming the API server's limit", async () => {
    const big = JSON.stringify(
      pod('big', {
        restartPolicy: 'Never',
        containers: [container({ env: [{ name: 'X', value: 'x'.repeat(50_000_000) }] })],
      }),
    );
    const started = Date.now();
    expect(await refused(big)).toMatch(
      /the manifest is \d+ bytes, over the limit of 3145728 \(3 MiB, the API server's request size limit\)/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('a 200 000-deep JSON is refused at its position, not by a stack overflow', async () => {
    const text = JSON.stringify(pod('deep', { containers: [container()] })).replace(
      /}$/,
      `, "x": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
    );
    const err = await refused(text);
    expect(err).toMatch(/m\.json:1:\d+: nests more than 100 levels deep/);
    expect(err).not.toMatch(/call stack/);
  });

  test('an environment that cannot fit execve names the container', async () => {
    const env = Array.from({ length: 25 }, (_, i) => ({ name: `V${i}`, value: 'x'.repeat(100_000) }));
    const err = await refused(JSON.stringify(pod('env', { restartPolicy: 'Never', containers: [container({ env })] })));
    expect(err).toMatch(
      /spec\.containers\[0\]\.env: command, args and environment take \d+ bytes: more than execve's 2097152 \(ARG_MAX\) \(container "c"\)/,
    );
  });

  test('a sysctl value with a newline is refused', async () => {
    const sc = { sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1000\nnet.ipv4.ip_forward=1' }] };
    const err = await refused(
      JSON.stringify(pod('sysctl', { restartPolicy: 'Never', securityContext: sc, containers: [container()] })),
    );
    expect(err).toMatch(/spec\.securityContext\.sysctls\[0\]\.value: may not contain control characters/);
  });
});
