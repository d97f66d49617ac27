import { describe, expect, test } from 'vitest';
import { Sandbox } from '../../../src/runtime/sandbox.js';
import { startContainer, CannotRunError } from '../../../src/runtime/container.js';
import { validatePod } from '../../../src/manifest/index.js';
import { newState } from '../../../src/supervisor/run-pod.js';
import type { ImageRecord } from '../../../src/image/store.js';
import { RecordingHost, type Call } from './recording-host.js';

const roots = { root: '/var/lib/tspod-test', runRoot: '/run/tspod-test' };
const image: ImageRecord = { name: 'busybox', tag: 'latest', ref: 'busybox:latest', id: 'sha256:1', lowerDirs: ['/img/rootfs'], config: { Cmd: ['sh'] }, created: '' };

function sandbox(host: RecordingHost, spec: object = {}) {
  const pod = validatePod({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['true'] }], ...spec },
  }).pod;
  const state = newState({ pod, images: { c: image }, keep: false });
  const saved: string[][] = [];
  const sb = new Sandbox({ host, roots, state, save: async () => void saved.push([...state.mounts]), network: 'none', explain: () => undefined, warn: () => undefined });
  return { sb, state, saved };
}

const index = (calls: Call[], pred: (c: Call) => boolean) => calls.findIndex(pred);

describe('the sandbox, against a recording host', () => {
  test('is built in order: directories, files, shm, volumes, cgroup, then the infra', async () => {
    const host = new RecordingHost();
    const { sb } = sandbox(host, { volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }] });
    await sb.start();
    const c = host.calls;
    const order = [
      index(c, (x) => x[0] === 'mkdir'),
      index(c, (x) => x[0] === 'writeFile' && String(x[1]).endsWith('/etc/hostname')),
      index(c, (x) => x[0] === 'mount' && x[3] === 'tmpfs' && String(x[2]).endsWith('/shm')),
      index(c, (x) => x[0] === 'mount' && String(x[2]).endsWith('/volumes/m')),
      index(c, (x) => x[0] === 'createCgroup'),
      index(c, (x) => x[0] === 'spawn'),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const spawn = c.find((x) => x[0] === 'spawn')![1] as { clone: string[] };
    expect(spawn.clone).toEqual(['mnt', 'uts', 'ipc', 'net', 'pid']);
    expect(host.calls.find((x) => x[0] === 'mount' && String(x[2]).endsWith('/volumes/m'))?.[5]).toBe('mode=0777,size=1048576');
  });

  test('records every host mount in the state before making it', async () => {
    const host = new RecordingHost();
    const { sb, state, saved } = sandbox(host);
    let savedBeforeMount = false;
    host.failOn = (call) => {
      if (call[0] === 'mount') savedBeforeMount = saved.some((m) => m.includes(call[2] as string));
      return undefined;
    };
    await sb.start();
    expect(savedBeforeMount).toBe(true);
    expect(state.mounts).toEqual([sb.layout.shm]);
  });

  test('is torn down in reverse order', async () => {
    const host = new RecordingHost();
    const { sb } = sandbox(host);
    await sb.start();
    const before = host.calls.length;
    expect(await sb.teardown()).toEqual([]);
    const undo = host.calls.slice(before).map((c) => c[0]).filter((n) => n !== 'closeFd');
    expect(undo).toEqual(['signal', 'removeCgroups', 'umount', 'remove', 'remove', 'remove']);
  });

  test('a failing infra undoes everything done before it, and says which step failed', async () => {
    const host = new RecordingHost();
    const { sb } = sandbox(host);
    host.failOn = (call) => (call[0] === 'spawn' ? Object.assign(new Error('EPERM: operation not permitted, pivot_root'), { opIndex: 4 }) : undefined);
    await expect(sb.start()).rejects.toThrow(/^infra: step 5 \(.*\) failed$/);
    const names = host.names();
    const after = names.slice(names.indexOf('spawn') + 1);
    expect(after).toEqual(['removeCgroups', 'umount', 'remove', 'remove', 'remove']);
  });

  test('a container whose setup fails leaves no cgroup and no layer behind', async () => {
    const host = new RecordingHost();
    const { sb, state } = sandbox(host);
    await sb.start();
    const c = state.pod.spec.containers[0];
    host.failOn = (call) => (call[0] === 'spawn' ? Object.assign(new Error('ENOENT: no such file or directory, open_tree'), { opIndex: 20 }) : undefined);
    await expect(startContainer(sb, c, image, 0)).rejects.toThrow(/^container "c": step 21/);
    const names = host.names();
    const tail = names.slice(names.lastIndexOf('spawn') + 1);
    expect(tail).toEqual(expect.arrayContaining(['removeCgroups', 'remove']));
    expect(state.cgroups.filter((d) => d.includes('/c-0'))).toEqual([]);
  });

  test('a command that is not found is the container\'s failure (127), not the runtime\'s', async () => {
    const host = new RecordingHost();
    const { sb, state } = sandbox(host);
    await sb.start();
    host.failOn = (call) => (call[0] === 'spawn' ? Object.assign(new Error('ENOENT'), { op: 'exec', code: 'ENOENT', opIndex: 60 }) : undefined);
    const err = await startContainer(sb, state.pod.spec.containers[0], image, 0).catch((e) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect(err.exitCode).toBe(127);
  });
});
