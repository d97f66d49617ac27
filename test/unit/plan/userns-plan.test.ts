/**
 * Plans of a pod with its own user namespace (hostUsers: false), without root: the infra's clone
 * makes the user namespace first and waits for its maps; a container is built by host root (image
 * layers idmapped before the overlay) and joins the user namespace last, then takes a locked copy
 * of its mounts; exec joins it after the host-owned namespaces. procMount: Unmasked drops the masks.
 */
import { describe, expect, test } from 'vitest';
import { containerPlan } from '../../../src/plan/container.js';
import { execPlan } from '../../../src/plan/exec.js';
import { infraPlan } from '../../../src/plan/infra.js';
import { containerInput } from '../../../src/plan/pod-inputs.js';
import type { NativeOp, Plan } from '../../../src/plan/types.js';
import type { Pod } from '../../../src/manifest/types.js';
import { infraInput } from '../../../src/plan/pod-inputs.js';
import { image, layout, pod, proc } from './fixtures.js';

const MAP = '0 131072 65536';
const spec = (extra: object = {}) => ({
  hostUsers: false,
  volumes: [
    { name: 'e', emptyDir: {} },
    { name: 'h', hostPath: { path: '/srv' } },
    { name: 'cfg', configMap: { name: 'c' } },
    { name: 'claim', persistentVolumeClaim: { claimName: 'db' } },
  ],
  containers: [
    {
      name: 'app',
      image: 'busybox',
      volumeMounts: ['e', 'h', 'cfg', 'claim'].map((n) => ({ name: n, mountPath: `/${n}` })),
    },
  ],
  ...extra,
});

function cplan(p: Pod, layers = image.lowerDirs): Plan {
  const l = layout(p.metadata.name);
  const c = p.spec.containers[0];
  return containerPlan(
    containerInput(p, l, c, {
      image: { ...image, lowerDirs: layers },
      process: proc,
      instance: l.instance(c.name, 0),
      terminationLog: l.terminationLog(c.name, 0),
      cgroupProcs: ['/sys/fs/cgroup/unified/tspod/u/app-0/cgroup.procs'],
      cgroupMounts: [],
    }),
  );
}
const at = (p: Plan, pred: (o: NativeOp) => boolean) => p.ops.findIndex(pred);

describe('infra with a user namespace', () => {
  const p = infraPlan(
    infraInput(pod(spec()), layout(), {
      pauseBinary: '/opt/pause',
      cgroupProcs: ['/sys/fs/cgroup/pids/tspod/u/infra/cgroup.procs'],
      idMap: MAP,
    }),
  );

  test('clone makes the user namespace with the others; the first step waits for its maps', () => {
    expect(p.clone).toEqual(['user', 'mnt', 'uts', 'ipc', 'net', 'pid']);
    expect(p.ops[0]).toMatchObject({ op: 'awaitIdMap', uidMap: MAP, gidMap: MAP });
  });

  test("host root until its root is open, the namespace's root after; pause has no capability", () => {
    const setres = at(p, (o) => o.op === 'setresuid');
    expect(setres).toBe(at(p, (o) => o.op === 'openRoot') + 1);
    expect(at(p, (o) => o.op === 'bind')).toBeGreaterThan(setres);
    expect(p.ops.find((o) => o.op === 'mount' && o.fstype === 'tmpfs')).toMatchObject({
      data: expect.stringContaining('uid=0,gid=0'),
    });
    expect(p.ops.find((o) => o.op === 'credentials')).toMatchObject({
      uid: 0,
      gid: 0,
      groups: [],
      bounding: [],
      effective: [],
    });
  });

  test('a pod without hostUsers: false has no user namespace; one with it needs its range', () => {
    const plain = infraPlan(
      infraInput(pod({ containers: [{ name: 'a', image: 'busybox' }] }), layout(), {
        pauseBinary: '/p',
        cgroupProcs: [],
      }),
    );
    expect(plain.clone).not.toContain('user');
    expect(plain.ops.map((o) => o.op)).not.toContain('awaitIdMap');
    expect(() => infraInput(pod(spec()), layout(), { pauseBinary: '/p', cgroupProcs: [] })).toThrow(/id range/);
  });
});

describe('container with a user namespace', () => {
  test('each image layer is idmapped before the overlay, which uses the idmapped copies', () => {
    const p = cplan(pod(spec()), ['/img/a', '/img/b']);
    const idm = p.ops.filter((o) => o.op === 'idmapMount');
    expect(idm.map((o) => o.op === 'idmapMount' && o.source)).toEqual(['/img/a', '/img/b']);
    const overlay = p.ops.find((o) => o.op === 'mountFs' && o.source === 'overlay');
    const targets = idm.map((o) => (o.op === 'idmapMount' ? o.target : ''));
    const lowers =
      overlay?.op === 'mountFs' ? overlay.options?.filter(([k]) => k === 'lowerdir+').map(([, v]) => v) : [];
    expect(lowers).toEqual(targets);
    expect(at(p, (o) => o.op === 'mount' && o.target === '/')).toBeLessThan(at(p, (o) => o.op === 'idmapMount'));
  });

  test('idmapped: pod files, configMap and claim volumes; not emptyDir, not hostPath', () => {
    const binds = Object.fromEntries(
      cplan(pod(spec()))
        .ops.filter((o) => o.op === 'bind')
        .map((o) => [o.op === 'bind' && o.target, o.op === 'bind' && !!o.idmap]),
    );
    expect(binds).toMatchObject({
      '/e': false,
      '/h': false,
      '/cfg': true,
      '/claim': true,
      '/etc/hosts': true,
      '/dev/termination-log': true,
      '/dev/shm': false,
    });
  });

  test('joins the user namespace after every mount and mask, becomes its root, then locks a copy of the mounts', () => {
    const p = cplan(pod(spec()));
    const join = at(p, (o) => o.op === 'setns' && o.ns.includes('user'));
    expect(p.ops[join]).toMatchObject({ target: 'infra', ns: ['user'] });
    expect(p.ops.find((o) => o.op === 'setns' && !o.ns.includes('user'))).toMatchObject({ ns: ['uts', 'net', 'ipc'] });
    expect(join).toBeGreaterThan(at(p, (o) => o.op === 'pivotRoot'));
    expect(join).toBeGreaterThan(at(p, (o) => o.op === 'readOnlyPath' && o.target === '/proc/sys'));
    expect(p.ops.slice(join, join + 4).map((o) => o.op)).toEqual(['setns', 'setresuid', 'unshare', 'openRoot']);
    expect(p.ops[join + 2]).toMatchObject({ ns: ['mnt'] });
    expect(at(p, (o) => o.op === 'chdir')).toBeGreaterThan(join);
    expect(p.ops.find((o) => o.op === 'credentials')).toMatchObject({ uid: 0, gid: 0, groups: [] });
  });

  test('without hostUsers: false nothing of this is in the plan', () => {
    const p = cplan(pod({ containers: [{ name: 'app', image: 'busybox' }] }));
    expect(p.ops.map((o) => o.op)).not.toContain('idmapMount');
    expect(p.ops.some((o) => o.op === 'setns' && o.ns.includes('user'))).toBe(false);
    expect(p.ops.find((o) => o.op === 'credentials')).not.toHaveProperty('uid');
  });

  test('procMount: Unmasked has no masked and no read-only /proc paths; Default keeps them', () => {
    const unmasked = cplan(
      pod(spec({ containers: [{ name: 'app', image: 'busybox', securityContext: { procMount: 'Unmasked' } }] })),
    );
    expect(
      unmasked.ops.filter((o) => o.op === 'maskPath' || (o.op === 'readOnlyPath' && o.target.startsWith('/proc'))),
    ).toEqual([]);
    const masked = cplan(
      pod(spec({ containers: [{ name: 'app', image: 'busybox', securityContext: { procMount: 'Default' } }] })),
    );
    expect(masked.ops.some((o) => o.op === 'maskPath' && o.target === '/proc/kcore')).toBe(true);
  });
});

describe('exec into a container with a user namespace', () => {
  const ctx = {
    env: ['PATH=/bin'],
    workingDir: '/',
    capabilities: ['CAP_CHOWN'],
    noNewPrivs: false,
    cgroupProcs: [],
    user: { uid: 0, gid: 0, groups: [] },
    userns: true,
  };

  test('joins the host-owned namespaces, forks, then the user namespace, then becomes its root', () => {
    const p = execPlan({ container: 'app', context: ctx, argv: ['id'], tty: false });
    const ops = p.ops.map((o) => o.op);
    expect(ops.slice(0, 5)).toEqual(['setns', 'fork', 'setns', 'setresuid', 'openRoot']);
    expect(p.ops[0]).toMatchObject({ ns: expect.not.arrayContaining(['user']) });
    expect(p.ops[2]).toMatchObject({ target: 'container:app', ns: ['user'] });
    expect(p.ops.find((o) => o.op === 'credentials')).toMatchObject({ uid: 0, gid: 0 });
  });

  test("a container of the host's users is joined as before", () => {
    const p = execPlan({ container: 'app', context: { ...ctx, userns: undefined }, argv: ['id'], tty: false });
    expect(p.ops.some((o) => o.op === 'setns' && o.ns.includes('user'))).toBe(false);
    expect(p.ops.map((o) => o.op)).not.toContain('setresuid');
  });
});
