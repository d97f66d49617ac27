import type { PodState } from '../../../src/state/types.js';

/** A pod with an init container (restarted once) and two app containers: one running (restarted twice), one ended. */
export function sampleState(): PodState {
  const container = (name: string) => ({ name, image: 'busybox' });
  return {
    version: 1,
    name: 'web',
    uid: '0f6c1a7e-2b9d-4c51-9c3e-6f7b1d2a9e10',
    createdAt: '2026-01-01T00:00:00.123Z',
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        initContainers: [container('init')],
        containers: [container('a'), container('b')],
        restartPolicy: 'Always',
      },
    } as unknown as PodState['pod'],
    status: {
      phase: 'Running',
      podIP: '10.0.0.7',
      conditions: [],
      initContainerStatuses: [
        {
          name: 'init',
          state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2026-01-01T00:00:01Z' } },
          lastState: {},
          ready: false,
          started: false,
          restartCount: 1,
          image: 'busybox',
          imageID: 'sha256:1',
        },
      ],
      containerStatuses: [
        {
          name: 'a',
          state: { running: { startedAt: '2026-01-01T00:00:02Z' } },
          lastState: {},
          ready: true,
          started: true,
          restartCount: 2,
          image: 'busybox',
          imageID: 'sha256:1',
        },
        {
          name: 'b',
          state: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:03Z' } },
          lastState: {},
          ready: false,
          started: true,
          restartCount: 0,
          image: 'busybox',
          imageID: 'sha256:1',
        },
      ],
    },
    supervisor: { pid: 1234, startTime: 5678 },
    keep: true,
    containers: { init: { instance: 1 }, a: { instance: 2, process: { pid: 2000, startTime: 1 } }, b: { instance: 0 } },
    mounts: [],
    cgroups: [],
    images: ['sha256:1'],
  };
}
