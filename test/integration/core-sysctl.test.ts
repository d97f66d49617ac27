/**
 * Sysctls written with `/` separators mean the dotted name (Kubernetes 1.23+): checked from inside
 * the pod, where the value must be set in the pod's own IPC namespace.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('sysctl');
});
afterAll(() => removeRoots(roots));

test('kernel/shm_rmid_forced is kernel.shm_rmid_forced, set inside the pod', async () => {
  const res = await runPod(
    roots,
    pod('sysctl', {
      restartPolicy: 'Never',
      securityContext: { sysctls: [{ name: 'kernel/shm_rmid_forced', value: '1' }] },
      containers: [{ name: 'c', image: 'busybox', command: ['cat', '/proc/sys/kernel/shm_rmid_forced'] }],
    }),
    ['--network', 'none'],
  );
  expect(res.code, res.stderr).toBe(0);
  expect(linesOf(res.stdout, 'c')).toEqual(['1']);
  expectClean(roots);
});
