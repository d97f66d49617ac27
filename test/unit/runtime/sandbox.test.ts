import { describe, expect, test } from 'vitest';
import { Sandbox } from '../../../src/runtime/sandbox.js';
import { startContainer, CannotRunError } from '../../../src/runtime/container.js';
import { validatePod } from '../../../src/manifest/index.js';
import { newState } from '../../../src/supervisor/run-pod.js';
import type { ImageRecord } from '../../../src/image/store.js';
import { RecordingHost, type Call } from './recording-host.js';
import type { LedgerEntry } from '../../../src/plan/host-steps.js';
import { testFacts } from './facts.js';

const roots = { root: '/var/lib/tspod-test', runRoot: '/run/tspod-test' };
const image: ImageRecord = {
  name: 'busybox',
  tag: 'latest',
  ref: 'busybox:latest',
  id: 'sha256:1',
  lowerDirs: ['/img/rootfs'],
  config: { Cmd: ['sh'] },
  created: '',
};

function sandbox(host: RecordingHost, spec: object = {}) {
  const pod = validatePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['true'] }], ...spec },
  }).pod;
  const state = newState({ pod, images: { c: image }, keep: false });
  const saved: unknown[] = [];
  const sb = new Sandbox({
    host,
    roots,
    state,
    save: async () => void saved.push(JSON.parse(JSON.stringify(state))),
    network: 'none',
    explain: () => undefined,
    warn: () => undefined,
    facts: testFacts,
  });
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
    expect(host.calls.find((x) => x[0] === 'mount' && String(x[2]).endsWith('/volumes/m'))?.[5]).toBe(
      'mode=0777,size=1048576',
    );
  });

  test('records every host step in the ledger, saved, before doing it', async () => {
    const host = new RecordingHost();
    const { sb, state, saved } = sandbox(host, { volumes: [{ name: 'm', emptyDir: { medium: 'Memory' } }] });
    const unrecorded: string[] = [];
    const lastSaved = () => (saved.at(-1) ?? { ledger: [], mounts: [] }) as { ledger: LedgerEntry[]; mounts: string[] };
    host.failOn = (call) => {
      const { ledger } = lastSaved();
      const covered =
        call[0] === 'mount'
          ? ledger.some(
              (e) => (e.step.kind === 'tmpfs' && e.step.target === call[2]) || e.mounts?.includes(call[2] as string),
            )
          : call[0] === 'spawn'
            ? ledger.some((e) => e.step.kind === 'infra')
            : call[0] === 'createCgroup'
              ? ledger.some((e) => e.step.kind === 'cgroup' && e.step.rel === call[1])
              : true;
      if (!covered) unrecorded.push(call[0]);
      return undefined;
    };
    await sb.start();
    expect(unrecorded).toEqual([]);
    expect(state.ledger!.every((e) => e.done)).toBe(true);
    expect(state.mounts).toEqual([sb.layout.shm, sb.layout.volume('m')]);
  });

  test('is torn down in reverse order, and nothing is left', async () => {
    const host = new RecordingHost();
    const { sb, state } = sandbox(host);
    await sb.start();
    const before = host.calls.length;
    expect(await sb.teardown()).toEqual([]);
    const undo = host.calls
      .slice(before)
      .map((c) => c[0])
      .filter((n) => n !== 'closeFd');
    // (umount until EINVAL: a target mounted twice is detached until it is not a mount point.)
    expect(undo).toEqual([
      'signal',
      'removeCgroups',
      'removeCgroups',
      'umount',
      'umount',
      'remove',
      'remove',
      'remove',
    ]);
    expect(state.ledger).toEqual([]);
    expect(host.leftovers([sb.layout.volumesDir, sb.layout.containersDir, sb.layout.infraRoot])).toEqual([]);
  });

  test('a failing infra undoes everything done before it, and says which step failed', async () => {
    const host = new RecordingHost();
    const { sb } = sandbox(host);
    host.failOn = (call) =>
      call[0] === 'spawn'
        ? Object.assign(new Error('EPERM: operation not permitted, pivot_root'), { opIndex: 4 })
        : undefined;
    await expect(sb.start()).rejects.toThrow(/^infra: step 5 \(.*\) failed$/);
    const names = host.names();
    const after = names.slice(names.indexOf('spawn') + 1);
    expect(after).toEqual(['removeCgroups', 'removeCgroups', 'umount', 'umount', 'remove', 'remove', 'remove']);
    expect(host.leftovers([sb.layout.volumesDir, sb.layout.containersDir, sb.layout.infraRoot])).toEqual([]);
  });

  test('a container whose setup fails leaves no cgroup and no layer behind', async () => {
    const host = new RecordingHost();
    const { sb, state } = sandbox(host);
    await sb.start();
    const c = state.pod.spec.containers[0];
    host.failOn = (call) =>
      call[0] === 'spawn'
        ? Object.assign(new Error('ENOENT: no such file or directory, open_tree'), { opIndex: 20 })
        : undefined;
    await expect(startContainer(sb, c, image, 0)).rejects.toThrow(/^container "c": step 21/);
    const names = host.names();
    const tail = names.slice(names.lastIndexOf('spawn') + 1);
    expect(tail).toEqual(expect.arrayContaining(['removeCgroups', 'remove']));
    expect(state.cgroups.filter((d) => d.includes('/c-0'))).toEqual([]);
  });

  test("a command that is not found is the container's failure (127), not the runtime's", async () => {
    const host = new RecordingHost();
    const { sb, state } = sandbox(host);
    await sb.start();
    host.failOn = (call) =>
      call[0] === 'spawn' ? Object.assign(new Error('ENOENT'), { op: 'exec', code: 'ENOENT', opIndex: 60 }) : undefined;
    const err = await startContainer(sb, state.pod.spec.containers[0], image, 0).catch((e) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect(err.exitCode).toBe(127);
  });
});
