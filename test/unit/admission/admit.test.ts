/** Admission on one node, as the kubelet and the scheduler's filters decide it. */
import { describe, expect, test } from 'vitest';
import { admit } from '../../../src/admission/admit.js';
import { refusalText } from '../../../src/admission/on-node.js';
import { MI, node, pod, requesting, running } from './helpers.js';

const reasons = (v: ReturnType<typeof admit>) => v.refusals.map((r) => r.reason);

describe('the pod fits as a whole or not at all', () => {
  test('two containers that each fit but together do not are refused together', () => {
    const pair = pod('pair', {
      containers: [
        { name: 'a', image: 'busybox', resources: { requests: { memory: '600Mi', cpu: '500m' } } },
        { name: 'b', image: 'busybox', resources: { requests: { memory: '500Mi', cpu: '500m' } } },
      ],
    });
    const v = admit(pair, node(), []);
    expect(reasons(v)).toEqual(['OutOfmemory']);
    expect(v.refusals[0]!.message).toBe(
      `Node didn't have enough resource: memory, requested: ${1100 * MI}, used: 0, capacity: ${1024 * MI}`,
    );
    expect(v.fit.map((f) => [f.resource, f.fits])).toEqual([
      ['cpu', true],
      ['memory', false],
      ['pods', true],
    ]);
  });

  test('what admitted pods requested is in use; the refusal says so per resource', () => {
    const first = requesting('first', { memory: '600Mi', cpu: '1500m' });
    const v = admit(requesting('second', { memory: '500Mi', cpu: '1' }), node(), running(first));
    expect(reasons(v)).toEqual(['OutOfcpu', 'OutOfmemory']);
    expect(refusalText(v).split('\n')).toEqual([
      'pod "second" was not admitted on node "lab-1": OutOfcpu: ' +
        "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000",

      '  cpu: requested 1, in use 1500m by 1 pod, allocatable 2: does not fit (500m left)',
      '  memory: requested 500Mi, in use 600Mi by 1 pod, allocatable 1Gi: does not fit (424Mi left)',
      '  pods: requested 1, in use 1 by 1 pod, allocatable 110: fits',
    ]);
    expect(admit(requesting('small', { memory: '424Mi', cpu: '500m' }), node(), running(first)).refusals).toEqual([]);
  });

  test('an extended resource the node lacks never fits; one it has is counted', () => {
    const dongle = pod('d', {
      containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'example.com/dongle': '1' } } }],
    });
    expect(reasons(admit(dongle, node(), []))).toEqual(['OutOfexample.com/dongle']);
    const n = node({ capacity: { 'example.com/dongle': '1' } });
    expect(admit(dongle, n, []).refusals).toEqual([]);
    expect(reasons(admit(dongle, n, running(dongle)))).toEqual(['OutOfexample.com/dongle']);
  });

  test('ephemeral storage, and the number of pods', () => {
    expect(reasons(admit(requesting('e', { 'ephemeral-storage': '11Gi' }), node(), []))).toEqual([
      'OutOfephemeral-storage',
    ]);
    const full = node({ capacity: { pods: '1' } });
    expect(reasons(admit(pod('b'), full, running(pod('a'))))).toEqual(['OutOfpods']);
  });

  test('a pod asking nothing always fits, and is bound to the node', () => {
    const v = admit(pod('free'), node(), running(requesting('hog', { cpu: '2', memory: '1Gi' })));
    expect(v.refusals).toEqual([]);
    expect(v.pod.spec).toMatchObject({ nodeName: 'lab-1', priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
  });
});

describe('node name, selector and affinity', () => {
  const labelled = node({ labels: { disktype: 'ssd', gen: '5' } });
  const affinity = (...terms: object[]) => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
  });
  const expr = (key: string, operator: string, values?: string[]) => ({
    matchExpressions: [{ key, operator, ...(values ? { values } : {}) }],
  });
  const ok = (spec: object) => admit(pod('p', spec), labelled, []).refusals.map((r) => r.detail ?? r.reason);

  test('nodeName must be this node', () => {
    expect(ok({ nodeName: 'lab-1' })).toEqual([]);
    expect(ok({ nodeName: 'other' })).toEqual(['nodeName is other, this node is lab-1']);
    expect(reasons(admit(pod('p', { nodeName: 'other' }), labelled, []))).toEqual(['NodeName']);
  });

  test("nodeSelector matches labels exactly, including the node's own", () => {
    expect(
      ok({ nodeSelector: { disktype: 'ssd', 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': 'lab-1' } }),
    ).toEqual([]);
    expect(ok({ nodeSelector: { disktype: 'hdd' } })).toEqual(['nodeSelector disktype=hdd: disktype=ssd']);
    expect(ok({ nodeSelector: { zone: 'a' } })).toEqual(['nodeSelector zone=a: no label zone']);
  });

  test('every operator', () => {
    expect(ok(affinity(expr('disktype', 'In', ['ssd', 'nvme'])))).toEqual([]);
    expect(ok(affinity(expr('disktype', 'NotIn', ['hdd'])))).toEqual([]);
    expect(ok(affinity(expr('zone', 'NotIn', ['a'])))).toEqual([]);
    expect(ok(affinity(expr('disktype', 'Exists')))).toEqual([]);
    expect(ok(affinity(expr('zone', 'DoesNotExist')))).toEqual([]);
    expect(ok(affinity(expr('gen', 'Gt', ['4'])))).toEqual([]);
    expect(ok(affinity(expr('gen', 'Lt', ['6'])))).toEqual([]);
    const refused = [
      expr('disktype', 'In', ['hdd']),
      expr('disktype', 'NotIn', ['ssd']),
      expr('zone', 'Exists'),
      expr('disktype', 'DoesNotExist'),
      expr('gen', 'Gt', ['5']),
      expr('gen', 'Lt', ['5']),
      expr('zone', 'Gt', ['1']),
      expr('disktype', 'Gt', ['1']),
    ];
    expect(refused.map((t) => ok(affinity(t))[0])).toEqual([
      'no required node affinity term selects the node: term 0: disktype In [hdd]: disktype=ssd',
      'no required node affinity term selects the node: term 0: disktype NotIn [ssd]: disktype=ssd',
      'no required node affinity term selects the node: term 0: zone Exists: no label zone',
      'no required node affinity term selects the node: term 0: disktype DoesNotExist: disktype=ssd',
      'no required node affinity term selects the node: term 0: gen Gt [5]: gen=5',
      'no required node affinity term selects the node: term 0: gen Lt [5]: gen=5',
      'no required node affinity term selects the node: term 0: zone Gt [1]: no label zone',
      'no required node affinity term selects the node: term 0: disktype Gt [1]: disktype=ssd is not an integer',
    ]);
  });

  test('terms are ORed, requirements of a term ANDed; matchFields selects by name', () => {
    expect(ok(affinity(expr('zone', 'Exists'), expr('disktype', 'Exists')))).toEqual([]);
    expect(
      ok(
        affinity({
          matchExpressions: [
            { key: 'disktype', operator: 'Exists' },
            { key: 'zone', operator: 'Exists' },
          ],
        }),
      ),
    ).toHaveLength(1);
    expect(ok(affinity({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['lab-1'] }] }))).toEqual([]);
    expect(ok(affinity({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['lab-1'] }] }))).toEqual([
      'no required node affinity term selects the node: term 0: metadata.name NotIn [lab-1]: the node is lab-1',
    ]);
    expect(ok(affinity({}))).toEqual([
      'no required node affinity term selects the node: term 0: an empty term selects no node',
    ]);
  });

  test('preferred terms are accepted: one node has nothing to rank', () => {
    const v = admit(
      pod('p', {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: expr('zone', 'In', ['x']) }],
          },
        },
      }),
      labelled,
      [],
    );
    expect(v.refusals).toEqual([]);
    expect(v.notes).toContain('1 preferred (anti-)affinity term(s): they rank nodes, and there is one node');
  });
});

describe('taints and tolerations', () => {
  const tainted = (effect: string) => node({ taints: [{ key: 'dedicated', value: 'db', effect }] });
  const tol = (t: object) => ({ tolerations: [t] });

  test('NoSchedule and NoExecute refuse a pod that does not tolerate them; PreferNoSchedule does not', () => {
    expect(reasons(admit(pod('p'), tainted('NoSchedule'), []))).toEqual(['TaintToleration']);
    expect(admit(pod('p'), tainted('NoExecute'), []).refusals[0]!.detail).toBe(
      'untolerated taint dedicated=db:NoExecute',
    );
    expect(admit(pod('p'), tainted('PreferNoSchedule'), []).refusals).toEqual([]);
  });

  test('a toleration matches by key, value and effect; Exists with no key tolerates all', () => {
    const n = tainted('NoSchedule');
    expect(admit(pod('p', tol({ key: 'dedicated', value: 'db', effect: 'NoSchedule' })), n, []).refusals).toEqual([]);
    expect(admit(pod('p', tol({ key: 'dedicated', operator: 'Exists' })), n, []).refusals).toEqual([]);
    expect(admit(pod('p', tol({ operator: 'Exists' })), n, []).refusals).toEqual([]);
    expect(reasons(admit(pod('p', tol({ key: 'dedicated', value: 'web' })), n, []))).toEqual(['TaintToleration']);
    expect(reasons(admit(pod('p', tol({ key: 'dedicated', value: 'db', effect: 'NoExecute' })), n, []))).toEqual([
      'TaintToleration',
    ]);
  });

  test('a NoExecute toleration with tolerationSeconds admits, and warns that nothing will evict', () => {
    const v = admit(
      pod('p', tol({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 })),
      tainted('NoExecute'),
      [],
    );
    expect(v.refusals).toEqual([]);
    expect(v.warnings[0]).toMatch(/for 60s only; a cluster would then evict it, tspod does not evict/);
  });
});

describe('gates, priority, ports', () => {
  test('scheduling gates keep the pod from being scheduled', () => {
    const v = admit(pod('p', { schedulingGates: [{ name: 'example.com/quota' }] }), node(), []);
    expect(v.refusals).toEqual([
      {
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
        detail: 'gates: example.com/quota',
      },
    ]);
  });

  test('the system priority classes are known; others, and a stated priority that disagrees, are refused', () => {
    const v = admit(pod('p', { priorityClassName: 'system-node-critical' }), node(), []);
    expect(v.pod.spec.priority).toBe(2000001000);
    expect(admit(pod('p', { priorityClassName: 'high' }), node(), []).refusals[0]!.message).toMatch(
      /^pods "p" is forbidden: no PriorityClass with name high was found/,
    );
    expect(admit(pod('p', { priority: 5 }), node(), []).refusals[0]!.message).toContain(
      'the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0',
    );
    expect(admit(pod('p', { preemptionPolicy: 'Never' }), node(), []).refusals[0]!.reason).toBe('Forbidden');
    expect(admit(pod('p', { priority: 0, preemptionPolicy: 'PreemptLowerPriority' }), node(), []).refusals).toEqual([]);
  });

  test('a critical pod that does not fit is refused, and the refusal says a kubelet would have evicted for it', () => {
    const v = admit(
      requesting('crit', { cpu: '2' }, { priorityClassName: 'system-cluster-critical' }),
      node(),
      running(requesting('a', { cpu: '1' })),
    );
    expect(reasons(v)).toEqual(['OutOfcpu']);
    expect(v.warnings.join()).toMatch(/evict lower-priority pods to admit it; tspod does not evict/);
  });

  test('a host port held by a pod here', () => {
    const web = (name: string, hostIP?: string) =>
      pod(name, {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            ports: [{ containerPort: 80, hostPort: 8080, ...(hostIP ? { hostIP } : {}) }],
          },
        ],
      });
    expect(admit(web('b'), node(), running(web('a'))).refusals[0]).toMatchObject({
      reason: 'NodePorts',
      detail: 'host port 8080/TCP is held by pod "a"',
    });
    expect(admit(web('b', '127.0.0.2'), node(), running(web('a', '127.0.0.1'))).refusals).toEqual([]);
  });
});

describe('pod affinity and spread on one node', () => {
  const sel = (app: string) => ({ labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' });
  const db = pod('db', {}, { labels: { app: 'db' } });

  test('required affinity needs a chosen pod here, unless the pod is the first of its group', () => {
    const web = (spec: object) => pod('web', spec, { labels: { app: 'web' } });
    const near = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [sel('db')] } } };
    expect(admit(web(near), node(), running(db)).refusals).toEqual([]);
    expect(admit(web(near), node(), running(pod('x'))).refusals[0]!.message).toBe(
      "node(s) didn't match pod affinity rules",
    );
    const self = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [sel('web')] } } };
    expect(admit(web(self), node(), []).refusals).toEqual([]);
    // A key the node does not have is no domain at all.
    const zone = {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { ...sel('db'), topologyKey: 'topology.kubernetes.io/zone' },
          ],
        },
      },
    };
    expect(admit(web(zone), node(), running(db)).refusals).toHaveLength(1);
  });

  test("required anti-affinity, both ways, in the pod's namespace unless told otherwise", () => {
    const away = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [sel('db')] } } };
    expect(admit(pod('db2', away), node(), running(db)).refusals[0]!.detail).toBe(
      'pod "db" on this node is chosen by the anti-affinity term with topologyKey kubernetes.io/hostname',
    );
    expect(admit(pod('db2', away, { namespace: 'other' }), node(), running(db)).refusals).toEqual([]);
    const everywhere = {
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...sel('db'), namespaceSelector: {} }] },
      },
    };
    expect(admit(pod('db2', everywhere, { namespace: 'other' }), node(), running(db)).refusals).toHaveLength(1);
    const loner = pod('loner', away);
    expect(admit(pod('db3', {}, { labels: { app: 'db' } }), node(), running(loner)).refusals[0]!.message).toBe(
      "node(s) didn't satisfy existing pods anti-affinity rules",
    );
  });

  test('spread constraints hold on one domain, fail on a node without the key, and count minDomains', () => {
    const spread = (extra: object) => ({
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'db' } },
          ...extra,
        },
      ],
    });
    const db2 = (extra: object) => pod('db2', spread(extra), { labels: { app: 'db' } });
    expect(admit(db2({}), node(), running(db)).refusals).toEqual([]);
    expect(admit(db2({ topologyKey: 'zone' }), node(), []).refusals[0]!.message).toBe(
      "node(s) didn't match pod topology spread constraints (missing required label)",
    );
    expect(admit(db2({ topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }), node(), []).refusals).toEqual([]);
    expect(admit(db2({ minDomains: 2 }), node(), running(db)).refusals[0]!.reason).toBe('PodTopologySpread');
  });
});
