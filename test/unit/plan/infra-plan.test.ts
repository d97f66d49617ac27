import { describe, expect, test } from 'vitest';
import { infraPlan } from '../../../src/plan/infra.js';
import { infraInput } from '../../../src/plan/pod-inputs.js';
import { layout, pod } from './fixtures.js';

const facts = {
  pauseBinary: '/opt/tspod/tspod-pause',
  cgroupProcs: ['/sys/fs/cgroup/pids/tspod/u/infra/cgroup.procs'],
};

describe('infra plan', () => {
  test('new net, ipc, uts and pid namespaces; hostname, loopback, then the pause program in an empty root', () => {
    const p = infraPlan(
      infraInput(
        pod({ containers: [{ name: 'a', image: 'busybox' }] }, 'two-containers'),
        layout('two-containers'),
        facts,
      ),
    );
    expect(p.clone).toEqual(['mnt', 'uts', 'ipc', 'net', 'pid']);
    expect(p.ops.map((o) => o.op)).toEqual([
      'writeFile',
      'sethostname',
      'loopbackUp',
      'mount',
      'mount',
      'openRoot',
      'bind',
      'pivotRoot',
      'closeFds',
      'credentials',
      'noNewPrivs',
      'exec',
    ]);
    expect(p.ops[1]).toMatchObject({ data: 'two-containers' });
    expect(p.ops.find((o) => o.op === 'bind')).toMatchObject({
      source: facts.pauseBinary,
      target: '/pause',
      readOnly: true,
    });
    expect(p.ops.find((o) => o.op === 'credentials')).toMatchObject({ bounding: [], effective: [] });
  });

  test('the hostname rule: spec.hostname, or the name cut to 63 characters without a trailing dash', () => {
    const long = `${'a'.repeat(62)}-b`;
    const p = infraPlan(infraInput(pod({ containers: [{ name: 'a', image: 'busybox' }] }, long), layout(long), facts));
    expect(p.ops.find((o) => o.op === 'sethostname')).toMatchObject({ data: 'a'.repeat(62) });
    const h = infraPlan(
      infraInput(pod({ hostname: 'db', containers: [{ name: 'a', image: 'busybox' }] }), layout(), facts),
    );
    expect(h.ops.find((o) => o.op === 'sethostname')).toMatchObject({ data: 'db' });
  });

  test('hostNetwork: no network or UTS namespace, no hostname, no loopback step', () => {
    const p = infraPlan(
      infraInput(pod({ hostNetwork: true, containers: [{ name: 'a', image: 'busybox' }] }), layout(), facts),
    );
    expect(p.clone).toEqual(['mnt', 'ipc', 'pid']);
    expect(p.ops.map((o) => o.op)).not.toContain('sethostname');
    expect(p.ops.map((o) => o.op)).not.toContain('loopbackUp');
  });

  test('namespaced sysctls are written inside the pod namespaces', () => {
    const p = infraPlan(
      infraInput(
        pod({
          securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
          containers: [{ name: 'a', image: 'busybox' }],
        }),
        layout(),
        facts,
      ),
    );
    expect(p.ops).toContainEqual(
      expect.objectContaining({ op: 'writeFile', target: '/proc/sys/net/ipv4/ip_unprivileged_port_start', data: '0' }),
    );
  });
});
