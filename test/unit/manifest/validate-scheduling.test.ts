/** The scheduling fields are accepted with the API server's validation rules. */
import { describe, expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import { basePod, linesAfter } from './helpers.js';

const term = (r: object) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [r] }] } },
});

describe('scheduling fields', () => {
  test('a pod with all of them validates and keeps them', () => {
    const p = basePod();
    Object.assign(p.spec, {
      nodeSelector: { disktype: 'ssd' },
      affinity: {
        ...term({ key: 'gen', operator: 'Gt', values: ['3'] }),
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 10,
              podAffinityTerm: {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: { app: 'web' } },
              },
            },
          ],
        },
      },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute', tolerationSeconds: 30 },
        { operator: 'Exists' },
      ],
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
      ],
      schedulingGates: [{ name: 'example.com/gate' }],
      priorityClassName: 'system-node-critical',
      overhead: { cpu: '100m' },
    });
    const { pod, warnings } = validatePod(p);
    expect(warnings).toEqual([]);
    expect(pod.spec.nodeSelector).toEqual({ disktype: 'ssd' });
    expect(pod.spec.tolerations).toHaveLength(2);
    expect(
      pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchExpressions?.[0]?.operator,
    ).toBe('Gt');
  });

  test('operators and their values', () => {
    const at =
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.' +
      'nodeSelectorTerms[0].matchExpressions[0]';
    expect(linesAfter((p) => (p.spec.affinity = term({ key: 'a', operator: 'In' })))).toEqual([
      `${at}.values: must be specified when \`operator\` is 'In' or 'NotIn'`,
    ]);
    expect(linesAfter((p) => (p.spec.affinity = term({ key: 'a', operator: 'Exists', values: ['x'] })))).toEqual([
      `${at}.values: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
    ]);
    expect(linesAfter((p) => (p.spec.affinity = term({ key: 'a', operator: 'Lt', values: ['1', '2'] })))).toEqual([
      `${at}.values: must be specified single value when \`operator\` is 'Lt' or 'Gt'`,
    ]);
    expect(linesAfter((p) => (p.spec.affinity = term({ key: 'a', operator: 'Near', values: ['1'] })))).toEqual([
      `${at}.operator: invalid value "Near": must be one of "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"`,
    ]);
    expect(
      linesAfter(
        (p) =>
          (p.spec.affinity = {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] }],
              },
            },
          }),
      ),
    ).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.' +
        'nodeSelectorTerms[0].matchFields[0].values: ' +
        "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
    ]);
    expect(
      linesAfter(
        (p) =>
          (p.spec.affinity = {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
          }),
      ),
    ).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: required',
    ]);
  });

  test('tolerations', () => {
    expect(linesAfter((p) => (p.spec.tolerations = [{ value: 'x' }]))).toEqual([
      'spec.tolerations[0].operator: must be Exists when `key` is empty, which means "match all values and all keys"',
    ]);
    expect(linesAfter((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }]))).toEqual([
      "spec.tolerations[0].value: must be empty when `operator` is 'Exists'",
    ]);
    expect(
      linesAfter((p) => (p.spec.tolerations = [{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }])),
    ).toEqual(["spec.tolerations[0].effect: must be 'NoExecute' when `tolerationSeconds` is set"]);
  });

  test('spread constraints and priorities', () => {
    expect(
      linesAfter(
        (p) =>
          (p.spec.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'k', whenUnsatisfiable: 'DoNotSchedule' }]),
      ),
    ).toEqual(['spec.topologySpreadConstraints[0].maxSkew: must be between 1 and 2147483647, got 0']);
    expect(
      linesAfter(
        (p) =>
          (p.spec.topologySpreadConstraints = [
            { maxSkew: 1, topologyKey: 'k', whenUnsatisfiable: 'ScheduleAnyway', minDomains: 2 },
          ]),
      ),
    ).toEqual([
      'spec.topologySpreadConstraints[0].minDomains: can only use minDomains if whenUnsatisfiable=DoNotSchedule',
    ]);
    expect(linesAfter((p) => (p.spec.preemptionPolicy = 'Sometimes'))).toEqual([
      'spec.preemptionPolicy: invalid value "Sometimes": must be one of "PreemptLowerPriority", "Never"',
    ]);
  });

  test("pod-level resources: cpu and memory, within limits, not below the containers'", () => {
    const withPod = (resources: object, containerResources: object = {}) =>
      linesAfter((p) => {
        p.spec.resources = resources;
        p.spec.containers[0].resources = containerResources;
      });
    expect(
      withPod(
        { requests: { cpu: '1' }, limits: { memory: '1Gi' } },
        { requests: { cpu: '500m' }, limits: { memory: '512Mi' } },
      ),
    ).toEqual([]);
    expect(withPod({ limits: { 'ephemeral-storage': '1Gi' } })).toEqual([
      'spec.resources.limits[ephemeral-storage]: resource "ephemeral-storage" is not supported at the pod level ' +
        '(cpu and memory are)',
    ]);
    expect(withPod({ requests: { cpu: '2' }, limits: { cpu: '1' } })).toEqual([
      'spec.resources.requests[cpu]: request 2 is more than the limit 1',
    ]);
    expect(withPod({ requests: { cpu: '100m' } }, { requests: { cpu: '500m' } })).toEqual([
      'spec.resources.requests[cpu]: must be greater than or equal to aggregate container requests of 500m',
    ]);
    // (The pod-level request defaults to the limit, so the aggregate request is too large as well.)
    expect(withPod({ limits: { memory: '64Mi' } }, { limits: { memory: '128Mi' } })).toEqual([
      'spec.resources.requests[memory]: must be greater than or equal to aggregate container requests of 134217728',
      'spec.resources.limits[memory]: must be greater than or equal to container "server" limit of 128Mi',
    ]);
  });
});
