/**
 * subPathExpr from inside real pods: the Kubernetes documentation's example (a per-pod directory
 * of a hostPath, named by $(POD_NAME)), and an expansion that would climb out of its volume,
 * which leaves the container waiting in CreateContainerConfigError and nothing made outside.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, newRoots, removeRoots, tspod, waitFor, type TestRoots } from './helpers.js';
import { inspect, statusOf } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('subpathexpr');
});
afterAll(() => removeRoots(roots));

describe('subPathExpr', () => {
  test("the documentation's pod1 writes /logs/hello.txt into <hostPath>/pod1/", async () => {
    const logs = path.join(roots.dir, 'var-log-pods');
    // The documentation's hostPath is /var/log/pods; the test keeps the host's own untouched.
    const manifest = fs
      .readFileSync(path.join(import.meta.dirname, 'fixtures/docs/subpath-expr.yaml'), 'utf8')
      .replace('path: /var/log/pods', `path: ${logs}`);
    const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], manifest);
    expect(res.code, res.stderr).toBe(0);
    try {
      const inside = await tspod(roots, ['exec', 'pod1', '--', 'sh', '-c', 'sleep 0.5; cat /logs/hello.txt; ls /logs']);
      expect(inside.stdout).toMatch(/^Hello\n(Hello\n)*hello\.txt\n$/);
      await waitFor('hello.txt on the host', () => fs.existsSync(path.join(logs, 'pod1', 'hello.txt')) || undefined);
      expect(fs.readdirSync(logs)).toEqual(['pod1']);
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'pod1'])).code).toBe(0);
    }
    expectClean(roots);
  });

  test('an expansion that climbs out of its volume (../..): the container waits in CreateContainerConfigError', async () => {
    const vol = path.join(roots.dir, 'vol');
    fs.mkdirSync(vol);
    const container = (name: string, value: string) => ({
      name,
      image: 'busybox',
      command: ['sleep', '600'],
      env: [{ name: 'DIR', value }],
      volumeMounts: [{ name: 'v', mountPath: '/data', subPathExpr: 'x/$(DIR)' }],
    });
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'climb' },
      spec: {
        volumes: [{ name: 'v', hostPath: { path: vol } }],
        containers: [container('up', '../../../escaped'), container('ok', 'fine')],
      },
    };
    const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
    expect(res.code, res.stderr).toBe(0);
    try {
      const p = await waitFor('the waiting reason', async () => {
        const got = await inspect(roots, 'climb');
        return statusOf(got, 'up')?.state?.waiting?.reason === 'CreateContainerConfigError' &&
          statusOf(got, 'ok')?.state?.running
          ? got
          : undefined;
      });
      expect(statusOf(p, 'up').state.waiting.message).toBe(
        'subPathExpr "x/$(DIR)" of volume "v" expands to "x/../../../escaped", which must be a relative path without \'..\'',
      );
      expect(fs.existsSync(path.join(roots.dir, 'escaped'))).toBe(false);
      expect(fs.existsSync(path.join(path.dirname(roots.dir), 'escaped'))).toBe(false);
      expect(fs.readdirSync(path.join(vol, 'x'))).toEqual(['fine']);
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'climb'])).code).toBe(0);
    }
    expectClean(roots);
  });
});
