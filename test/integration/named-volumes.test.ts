/**
 * persistentVolumeClaim as a named local volume, from inside real pods: a first pod writes, the
 * volume outlives it, a second pod reads what the first wrote; readOnly claims are read-only;
 * `tspod volume ls|inspect|rm`, and rm refused while a pod has the claim in its spec.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('named-volumes');
});
afterAll(() => removeRoots(roots));

const claimPod = (name: string, script: string, readOnly = false) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    restartPolicy: 'Never',
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'shop-db', ...(readOnly ? { readOnly } : {}) } }],
    containers: [
      {
        name: 'c',
        image: 'busybox',
        command: ['sh', '-c', script],
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/db' }],
      },
    ],
  },
});

describe('persistentVolumeClaim', () => {
  test('made on first use, kept across pods, read-only when the claim says so; volume ls/inspect/rm', async () => {
    const first = await runPod(
      roots,
      claimPod('writer', 'echo "orders=42" > /var/lib/db/state; cat /var/lib/db/state'),
      ['--network', 'none'],
    );
    expect(first.code, first.stderr).toBe(0);
    expect(linesOf(first.stdout, 'c')).toEqual(['orders=42']);
    const data = path.join(roots.root, 'volumes', 'shop-db', '_data');
    expect(fs.readFileSync(path.join(data, 'state'), 'utf8')).toBe('orders=42\n');

    const second = await runPod(
      roots,
      claimPod('reader', 'cat /var/lib/db/state; touch /var/lib/db/x 2>&1 | grep -o "Read-only file system"', true),
      ['--network', 'none'],
    );
    expect(second.code, second.stderr).toBe(0);
    expect(linesOf(second.stdout, 'c')).toEqual(['orders=42', 'Read-only file system']);

    const ls = await tspod(roots, ['volume', 'ls']);
    expect(ls.stdout).toMatch(/^NAME +USED BY +MOUNTPOINT\nshop-db +- +\S+\/volumes\/shop-db\/_data\n$/);

    const kept = await tspod(
      roots,
      ['run', '-d', '--network', 'none', '-'],
      JSON.stringify(claimPod('holder', 'sleep 600')),
    );
    expect(kept.code, kept.stderr).toBe(0);
    try {
      const inspect = JSON.parse((await tspod(roots, ['volume', 'inspect', 'shop-db'])).stdout);
      expect(inspect).toEqual([expect.objectContaining({ name: 'shop-db', mountpoint: data, usedBy: ['holder'] })]);
      const refused = await tspod(roots, ['volume', 'rm', 'shop-db']);
      expect(refused.code).toBe(125);
      expect(refused.stderr).toContain('volume "shop-db" is in use by pod holder: remove it first');
      expect(fs.existsSync(data)).toBe(true);
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'holder'])).code).toBe(0);
    }
    const rm = await tspod(roots, ['volume', 'rm', 'shop-db']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(fs.existsSync(path.join(roots.root, 'volumes', 'shop-db'))).toBe(false);
    expect((await tspod(roots, ['volume', 'inspect', 'shop-db'])).code).toBe(1);
    expect((await tspod(roots, ['volume', 'rm', '../pods'])).stderr).toContain('invalid volume name "../pods"');
    expectClean(roots);
  });
});
