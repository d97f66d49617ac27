/**
 * `tspod run --dry-run` prints the whole pod (host steps, infra, containers with their cgroup,
 * device policy and seccomp profile, the CNI chain), and with a fixed uid and fixed host facts it
 * prints the same every time: compared here with a saved copy (golden/, text and JSON).
 * UPDATE_GOLDEN=1 rewrites the copies after a deliberate change (review the diff).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatPodPlan, dryRunPlan, podPlanJson } from '../../../src/runtime/dry-run.js';
import { validatePod } from '../../../src/manifest/index.js';
import { newState } from '../../../src/supervisor/run-pod.js';
import type { ImageRecord } from '../../../src/image/store.js';
import { networkedFacts } from './facts.js';

const roots = { root: '/var/lib/tspod-golden', runRoot: '/run/tspod-golden' };
const image: ImageRecord = {
  name: 'busybox',
  tag: 'latest',
  ref: 'busybox:latest',
  id: 'sha256:1',
  repoDigests: [],
  lowerDirs: ['/img/rootfs'],
  config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
  created: '',
};

function plan() {
  const pod = validatePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', uid: '7c3e2c1a-0000-4000-8000-00000000000a' },
    spec: {
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      initContainers: [
        {
          name: 'init',
          image: 'busybox',
          command: ['sh', '-c', 'echo hi > /data/index.html'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      containers: [
        {
          name: 'server',
          image: 'busybox',
          command: ['httpd', '-f', '-p', '8080'],
          ports: [{ containerPort: 8080, hostPort: 18080 }],
          resources: { limits: { memory: '64Mi', cpu: '500m' } },
          volumeMounts: [
            { name: 'data', mountPath: '/www' },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } },
      ],
    },
  }).pod;
  const state = newState({ pod, images: { init: image, server: image }, keep: false });
  return dryRunPlan(roots, state, { init: image, server: image }, networkedFacts);
}

function golden(name: string, actual: string): void {
  const file = path.join(__dirname, 'golden', name);
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

describe('--dry-run, the whole pod', () => {
  test('as text, as saved', () => {
    const text = formatPodPlan(plan());
    expect(text).toContain('CNI ADD network "tspod" (built-in): bridge → portmap → firewall, ports 18080:8080/tcp');
    expect(text).toMatch(/server: cgroup tspod\/\S+\/server-0: memory 67108864, cpu 500m, .*device policy: \d+ rules/);
    golden('pod.txt', text);
  });

  test('as JSON, as saved', () => {
    const json = podPlanJson(plan());
    const parsed = JSON.parse(json);
    expect(Object.keys(parsed)).toEqual(['hostSteps', 'infra', 'containers']);
    golden('pod.json', json);
  });

  test("names each container's seccomp profile (RuntimeDefault by default; its size is the host libseccomp's, so not in the saved copy)", () => {
    const pod = validatePod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', uid: 'u-1' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    }).pod;
    const p = dryRunPlan(roots, newState({ pod, images: { c: image }, keep: false }), { c: image }, networkedFacts);
    expect(p.containers[0]!.seccomp).toBe('RuntimeDefault');
    expect(formatPodPlan(p)).toMatch(/^c: seccomp profile RuntimeDefault \(the seccomp step below\)$/m);
    expect(formatPodPlan(p)).toMatch(/seccomp\(SECCOMP_SET_MODE_FILTER\) RuntimeDefault: default errno EPERM/);
  });

  test('is the same twice (nothing random, nothing read from the host)', () => {
    expect(podPlanJson(plan())).toBe(podPlanJson(plan()));
  });
});
