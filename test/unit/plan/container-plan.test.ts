import { describe, expect, test } from 'vitest';
import { containerPlan } from '../../../src/plan/container.js';
import { containerInput } from '../../../src/plan/pod-inputs.js';
import { DEFAULT_CAPABILITIES } from '../../../src/plan/capabilities.js';
import type { NativeOp, Plan } from '../../../src/plan/types.js';
import type { Pod } from '../../../src/manifest/types.js';
import { image, layout, pod, proc } from './fixtures.js';

function plan(
  p: Pod,
  name = p.spec.containers[0].name,
  extra: Partial<Parameters<typeof containerInput>[3]> = {},
): Plan {
  const l = layout(p.metadata.name);
  const c = [...p.spec.initContainers, ...p.spec.containers].find((x) => x.name === name)!;
  return containerPlan(
    containerInput(p, l, c, {
      image,
      process: proc,
      instance: l.instance(name, 0),
      terminationLog: l.terminationLog(name, 0),
      cgroupProcs: ['/sys/fs/cgroup/unified/tspod/u/c-0/cgroup.procs'],
      cgroupMounts: [{ fstype: 'cgroup2', target: '/sys/fs/cgroup', options: [] }],
      kernelRelease: '6.18.0',
      ...extra,
    }),
  );
}

const ops = (p: Plan) => p.ops.map((o) => o.op);
const index = (p: Plan, pred: (o: NativeOp) => boolean) => p.ops.findIndex(pred);
const target = (t: string) => (o: NativeOp) => 'target' in o && o.target === t;

const simple = pod({
  containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
  volumes: [{ name: 'data', emptyDir: {} }],
});

describe('container plan', () => {
  test('own mount and PID namespaces; joins the infra for net, ipc, uts', () => {
    const p = plan(simple);
    expect(p.clone).toEqual(['mnt', 'pid']);
    const setns = p.ops.filter((o) => o.op === 'setns');
    expect(setns).toEqual([expect.objectContaining({ target: 'infra', ns: ['uts', 'net', 'ipc'] })]);
    expect(ops(p)).not.toContain('fork');
  });

  test('the order of the steps', () => {
    const p = plan(simple);
    const order = [
      index(p, (o) => o.op === 'writeFile'), // join the cgroup
      index(p, (o) => o.op === 'unshare'), // then the cgroup namespace
      index(p, (o) => o.op === 'setns'), // then the pod's namespaces
      index(p, (o) => o.op === 'mount' && o.target === '/'), // private propagation
      index(p, (o) => o.op === 'openRoot' && o.target === layout('web').instance('app', 0).dir), // the instance directory
      index(p, (o) => o.op === 'mountFs' && o.source === 'overlay'), // the overlay is mounted in it
      index(p, (o) => o.op === 'openRoot' && o.target === layout('web').instance('app', 0).rootfs), // and becomes the root
      index(p, target('/proc')),
      index(p, target('/dev')),
      index(p, target('/dev/null')),
      index(p, target('/dev/pts')),
      index(p, target('/dev/shm')),
      index(p, target('/dev/mqueue')),
      index(p, target('/sys')),
      index(p, target('/data')), // binds are sorted by depth: /data before /etc/hosts
      index(p, target('/etc/hosts')),
      index(p, (o) => o.op === 'pivotRoot'),
      index(p, target('/proc/kcore')),
      index(p, target('/proc/sys')),
      index(p, (o) => o.op === 'chdir'),
      index(p, (o) => o.op === 'sessionKeyring'), // a keyring of its own, charged to root (before the uid changes)
      index(p, (o) => o.op === 'setsid'), // a session of its own: no controlling terminal
      index(p, (o) => o.op === 'closeFds'),
      index(p, (o) => o.op === 'credentials'),
      index(p, (o) => o.op === 'exec'),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(p.ops.at(-1)?.op).toBe('exec');
  });

  test('every mount but /dev and /dev/pts is nodev (the read-only root remount too); privileged volumes keep their devices', () => {
    const ro = pod({
      containers: [
        {
          name: 'app',
          image: 'busybox',
          securityContext: { readOnlyRootFilesystem: true },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    });
    const mounts = plan(ro).ops.filter((o) => o.op === 'mount' || o.op === 'mountFs' || o.op === 'bind');
    const withDevices = mounts.filter(
      (o) => !(o.op === 'mount' && o.flags?.includes('NODEV')) && !(o.op !== 'mount' && o.attrs?.includes('NODEV')),
    );
    // the "/" propagation change mounts nothing
    expect(withDevices.map((o) => o.target)).toEqual(['/', '/dev', '/dev/pts']);
    const priv = pod({
      containers: [
        {
          name: 'app',
          image: 'busybox',
          securityContext: { privileged: true },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    });
    expect(plan(priv).ops.find(target('/data'))).not.toHaveProperty('attrs');
  });

  test("overlay root with the image's layers below, topmost first, one lowerdir+ key each, and a fresh upper layer", () => {
    const p = plan(simple);
    const l = layout('web').instance('app', 0);
    expect(p.ops.find((o) => o.op === 'mountFs' && o.source === 'overlay')).toMatchObject({
      target: '/rootfs',
      attrs: ['NODEV'],
      options: [
        ...image.lowerDirs.map((d) => ['lowerdir+', d]),
        ['upperdir', l.upper],
        ['workdir', l.work],
        ['userxattr', ''],
      ],
    });
  });

  test('a kernel without lowerdir+ (before 6.8) gets one option string; too many layers for a page are refused', () => {
    const p = plan(simple, 'app', { kernelRelease: '6.1.0-28-amd64' });
    const l = layout('web').instance('app', 0);
    expect(p.ops.find((o) => o.op === 'mount' && o.fstype === 'overlay')).toMatchObject({
      target: l.rootfs,
      flags: ['NODEV'],
      data: `lowerdir=${image.lowerDirs.join(':')},upperdir=${l.upper},workdir=${l.work},userxattr`,
    });
    expect(p.ops.filter((o) => o.op === 'openRoot').map((o) => o.target)).toEqual([l.rootfs]);
    const many = {
      ...image,
      lowerDirs: Array.from(
        { length: 60 },
        (_, i) => `/var/lib/tspod/images/layers/sha256/${String(i).padStart(64, '0')}/diff`,
      ),
    };
    expect(() => plan(simple, 'app', { kernelRelease: '6.1.0', image: many })).toThrow(
      /60 layers, too many for an overlay mount on this kernel/,
    );
    expect(
      plan(simple, 'app', { kernelRelease: '6.8.0', image: many }).ops.find(
        (o) => o.op === 'mountFs' && o.source === 'overlay',
      ),
    ).toBeDefined();
  });

  test('the default capabilities, nothing inheritable', () => {
    const cred = plan(simple).ops.find((o) => o.op === 'credentials')!;
    expect(cred).toMatchObject({ inheritable: [] });
    if (cred.op !== 'credentials') throw new Error();
    expect([...cred.bounding].sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(cred.effective).toEqual(cred.bounding);
    expect(cred.uid).toBeUndefined();
  });

  test('shareProcessNamespace joins the infra PID namespace and forks', () => {
    const p = plan(pod({ shareProcessNamespace: true, containers: [{ name: 'app', image: 'busybox' }] }));
    expect(p.clone).toEqual(['mnt']);
    const i = index(p, (o) => o.op === 'setns' && o.ns.includes('pid'));
    expect(i).toBeGreaterThan(0);
    expect(p.ops[i + 1].op).toBe('fork');
    expect(i + 1).toBeLessThan(index(p, target('/proc')));
  });

  test('hostNetwork keeps the host network and UTS namespaces', () => {
    const p = plan(pod({ hostNetwork: true, containers: [{ name: 'app', image: 'busybox' }] }));
    expect(p.ops.find((o) => o.op === 'setns')).toMatchObject({ ns: ['ipc'] });
  });

  test('hostNetwork, hostIPC and hostPID: nothing to join, no PID namespace', () => {
    const p = plan(
      pod({ hostNetwork: true, hostIPC: true, hostPID: true, containers: [{ name: 'app', image: 'busybox' }] }),
    );
    expect(ops(p)).not.toContain('setns');
    expect(p.clone).toEqual(['mnt']);
  });

  test('privileged: all capabilities, nothing masked, /sys writable', () => {
    const p = plan(pod({ containers: [{ name: 'app', image: 'busybox', securityContext: { privileged: true } }] }));
    expect(ops(p)).not.toContain('maskPath');
    expect(ops(p)).not.toContain('readOnlyPath');
    expect(p.ops.find(target('/sys'))).toMatchObject({ attrs: ['NOSUID', 'NODEV', 'NOEXEC'] });
    const cred = p.ops.find((o) => o.op === 'credentials');
    expect(cred && cred.op === 'credentials' && cred.bounding.length).toBeGreaterThan(38);
  });

  test('capabilities add and drop', () => {
    const p = plan(
      pod({
        containers: [
          { name: 'app', image: 'busybox', securityContext: { capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } } },
        ],
      }),
    );
    expect(p.ops.find((o) => o.op === 'credentials')).toMatchObject({ bounding: ['CAP_NET_ADMIN'] });
  });

  test('a non-root user gets no effective capabilities, and no_new_privs when asked', () => {
    const p = plan(
      pod({ containers: [{ name: 'app', image: 'busybox', securityContext: { allowPrivilegeEscalation: false } }] }),
      'app',
      { user: { uid: 1000, gid: 1000, groups: [1000] } },
    );
    expect(p.ops.find((o) => o.op === 'credentials')).toMatchObject({
      uid: 1000,
      gid: 1000,
      groups: [1000],
      effective: [],
      permitted: [],
    });
    expect(ops(p).indexOf('noNewPrivs')).toBe(ops(p).length - 2);
  });

  test('read-only and subPath volume mounts', () => {
    const p = plan(
      pod({
        containers: [
          {
            name: 'app',
            image: 'busybox',
            volumeMounts: [
              { name: 'd', mountPath: '/a/b', subPath: 'x/y', readOnly: true },
              { name: 'd', mountPath: '/a' },
            ],
          },
        ],
        volumes: [{ name: 'd', hostPath: { path: '/srv/d' } }],
      }),
    );
    const binds = p.ops.filter((o) => o.op === 'bind' && o.source === '/srv/d');
    // the parent mount first, whatever the manifest order, so the deeper one is not hidden
    expect(binds).toEqual([
      expect.objectContaining({ target: '/a', readOnly: false }),
      expect.objectContaining({ target: '/a/b', subPath: 'x/y', readOnly: true }),
    ]);
  });

  test('readOnlyRootFilesystem remounts the root read-only after pivot_root', () => {
    const p = plan(
      pod({ containers: [{ name: 'app', image: 'busybox', securityContext: { readOnlyRootFilesystem: true } }] }),
    );
    const i = index(p, (o) => o.op === 'mount' && !!o.flags?.includes('REMOUNT'));
    expect(i).toBeGreaterThan(index(p, (o) => o.op === 'pivotRoot'));
  });

  test('cgroups at /sys/fs/cgroup after /sys, read-only unless privileged', () => {
    const p = plan(simple);
    const sys = index(p, target('/sys'));
    const cg = index(p, (o) => o.op === 'mountFs' && o.source === 'cgroup2');
    const ro = index(p, (o) => o.op === 'readOnlyPath' && o.target === '/sys/fs/cgroup');
    expect(sys).toBeLessThan(cg);
    expect(cg).toBeLessThan(ro);
    const priv = plan(pod({ containers: [{ name: 'app', image: 'busybox', securityContext: { privileged: true } }] }));
    expect(priv.ops.some((o) => o.op === 'readOnlyPath')).toBe(false);
  });

  test('exec searches the container PATH', () => {
    expect(plan(simple).ops.at(-1)).toMatchObject({
      op: 'exec',
      target: 'sh',
      argv: proc.argv,
      searchPath: '/usr/bin:/bin',
    });
  });
});
