/**
 * A stop that comes while the containers are being started (Ctrl-C or `tspod stop` right after
 * the sandbox is up): the instances that were still being made when the stop began must get the
 * stop too. The soak test found foreground runs interrupted at that moment running their
 * container to its own end (a `sleep 30` pod took 30 s to answer Ctrl-C).
 */
import { expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import { runPod } from '../../../src/supervisor/run-pod.js';
import { FaultHost, pretendWorld } from './fault-host.js';

const world = pretendWorld('tspod-stopstart-', () => new FaultHost());

test('containers still starting when the stop came are stopped too, with the stop signal', async () => {
  const spec = {
    restartPolicy: 'Never',
    containers: ['a', 'b'].map((name) => ({ name, image: 'busybox', command: ['sleep', '30'] })),
  };
  const pod = validatePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec }).pod;
  const { image, host } = world;
  const running = await runPod({
    roots: world.roots,
    pod,
    images: { a: image, b: image },
    network: 'none',
    keep: false,
    host,
    sink: () => undefined,
    explain: () => undefined,
    warn: () => undefined,
  });
  // As `tspod run` does with a signal that came during the start: the sandbox is up, the
  // containers are being made.
  running.stop(undefined, 2);
  const status = await Promise.race([
    running.done,
    new Promise((r) => setTimeout(() => r('still running after 5 s'), 5000)),
  ]);
  expect(status).toBe(130);
  // Both containers (processes 1 and 2; 0 is the infra) got SIGTERM, their stop signal.
  const signalled = host.calls.filter((c) => c[0] === 'signal').map((c) => [c[1], c[2]]);
  expect(signalled).toEqual(
    expect.arrayContaining([
      [5_000_001, 15],
      [5_000_002, 15],
    ]),
  );
});
