import { describe, expect, test } from 'vitest';
import { formatPods, podList } from '../../../src/pods/output.js';
import {
  PS_HEADER,
  PS_WIDE_HEADER,
  formatTable,
  podStatusColumns,
  psCells,
  psRow,
} from '../../../src/pods/ps-table.js';
import { matches, parseSelector } from '../../../src/pods/selector.js';
import { podObject, type PodObject } from '../../../src/pods/view.js';
import type { ContainerState, ContainerStatus, PodStatus } from '../../../src/state/types.js';
import { sampleState } from './fixtures.js';

const NOW = new Date('2026-01-01T01:00:00Z');
const running: ContainerState = { running: { startedAt: '2026-01-01T00:00:02Z' } };
const waiting = (reason: string): ContainerState => ({ waiting: { reason } });
const ended = (exitCode: number, reason: string, finishedAt = '2026-01-01T00:59:18Z'): ContainerState => ({
  terminated: { exitCode, reason, finishedAt },
});

function cs(name: string, state: ContainerState, o: Partial<ContainerStatus> = {}): ContainerStatus {
  const ready = 'running' in state;
  return {
    name,
    state,
    lastState: {},
    ready,
    started: ready,
    restartCount: 0,
    image: 'busybox',
    imageID: 'sha256:1',
    ...o,
  };
}

/** A Pod object with these init and app container statuses. */
function podWith(
  phase: PodStatus['phase'],
  inits: ContainerStatus[],
  apps: ContainerStatus[],
  o: { ready?: boolean; initialized?: boolean; sidecars?: string[] } = {},
): PodObject {
  const s = sampleState();
  s.pod.spec.initContainers = inits.map((c) => ({
    name: c.name,
    image: 'busybox',
    ...(o.sidecars?.includes(c.name) ? { restartPolicy: 'Always' } : {}),
  })) as never;
  s.pod.spec.containers = apps.map((c) => ({ name: c.name, image: 'busybox' })) as never;
  s.status = {
    phase,
    podIP: '10.0.0.7',
    podIPs: [{ ip: '10.0.0.7' }],
    conditions: [
      {
        type: 'Initialized',
        status:
          (o.initialized ?? inits.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0))
            ? 'True'
            : 'False',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
      {
        type: 'Ready',
        status: (o.ready ?? apps.every((c) => c.ready)) ? 'True' : 'False',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
    initContainerStatuses: inits,
    containerStatuses: apps,
  };
  return podObject(s, 'running');
}

describe("STATUS, READY and RESTARTS, by kubectl's rules", () => {
  test.each<[string, PodObject, string, string]>([
    ['all running', podWith('Running', [], [cs('a', running), cs('b', running)]), 'Running', '2/2'],
    [
      'one crash-looping',
      podWith(
        'Running',
        [],
        [cs('a', running), cs('b', waiting('CrashLoopBackOff'), { restartCount: 4, lastState: ended(1, 'Error') })],
      ),
      'CrashLoopBackOff',
      '1/2',
    ],
    ['starting', podWith('Pending', [], [cs('a', waiting('ContainerCreating'))]), 'ContainerCreating', '0/1'],
    [
      'waiting for its init containers',
      podWith(
        'Pending',
        [cs('i1', running), cs('i2', waiting('PodInitializing'))],
        [cs('a', waiting('PodInitializing'))],
      ),
      'Init:0/2',
      '0/1',
    ],
    [
      'the second init container',
      podWith('Pending', [cs('i1', ended(0, 'Completed')), cs('i2', running)], [cs('a', waiting('PodInitializing'))]),
      'Init:1/2',
      '0/1',
    ],
    [
      'an init container crash-looping',
      podWith(
        'Pending',
        [cs('i1', waiting('CrashLoopBackOff'), { restartCount: 2, lastState: ended(1, 'Error') })],
        [cs('a', waiting('PodInitializing'))],
      ),
      'Init:CrashLoopBackOff',
      '0/1',
    ],
    [
      'an init container failed',
      podWith('Failed', [cs('i1', ended(3, 'Error'))], [cs('a', waiting('PodInitializing'))]),
      'Init:Error',
      '0/1',
    ],
    [
      'initialized, the app containers not yet',
      podWith('Pending', [cs('i1', ended(0, 'Completed'))], [cs('a', waiting('PodInitializing'))]),
      'PodInitializing',
      '0/1',
    ],
    [
      'succeeded',
      podWith('Succeeded', [], [cs('a', ended(0, 'Completed')), cs('b', ended(0, 'Completed'))]),
      'Completed',
      '0/2',
    ],
    ['failed', podWith('Failed', [], [cs('a', ended(2, 'Error')), cs('b', ended(0, 'Completed'))]), 'Error', '0/2'],
    [
      "the first container's word wins, even Completed over Error",
      podWith('Failed', [], [cs('a', ended(0, 'Completed')), cs('b', ended(2, 'Error'))]),
      'Completed',
      '0/2',
    ],
    [
      "the first container's word wins",
      podWith('Failed', [], [cs('a', ended(137, 'OOMKilled')), cs('b', ended(2, 'Error'))]),
      'OOMKilled',
      '0/2',
    ],
    [
      'completed with one still running and ready',
      podWith('Running', [], [cs('a', ended(0, 'Completed')), cs('b', running)], { ready: true }),
      'Running',
      '1/2',
    ],
    [
      'completed with one still running, pod not ready',
      podWith('Running', [], [cs('a', ended(0, 'Completed')), cs('b', running)], { ready: false }),
      'NotReady',
      '1/2',
    ],
    ['running but not ready', podWith('Running', [], [cs('a', running, { ready: false })]), 'Running', '0/1'],
    [
      'a started sidecar counts',
      podWith('Running', [cs('side', running)], [cs('a', running)], { sidecars: ['side'], initialized: true }),
      'Running',
      '2/2',
    ],
  ])('%s', (_, pod, status, ready) => {
    expect(podStatusColumns(pod, false, NOW)).toMatchObject({ status, ready });
  });

  test('a terminated container without a reason: ExitCode:N or Signal:N', () => {
    const pod = podWith('Failed', [], [cs('a', { terminated: { exitCode: 3, reason: '', finishedAt: 'x' } })]);
    expect(podStatusColumns(pod, false, NOW).status).toBe('ExitCode:3');
  });

  test('restarts with how long ago the last one ended', () => {
    const pod = podWith(
      'Running',
      [],
      [cs('a', running, { restartCount: 3, lastState: ended(1, 'Error', '2026-01-01T00:59:18Z') }), cs('b', running)],
    );
    expect(podStatusColumns(pod, false, NOW).restarts).toBe('3 (42s ago)');
    expect(podStatusColumns(podWith('Running', [], [cs('a', running)]), false, NOW).restarts).toBe('0');
  });

  test('a pod being stopped is Terminating until it ended; an orphaned pod is Orphaned with nothing ready', () => {
    const pod = podWith('Running', [], [cs('a', running)]);
    pod.metadata.deletionTimestamp = '2026-01-01T01:00:30Z';
    expect(podStatusColumns(pod, false, NOW).status).toBe('Terminating');
    const done = podWith('Succeeded', [], [cs('a', ended(0, 'Completed'))]);
    done.metadata.deletionTimestamp = '2026-01-01T01:00:30Z';
    expect(podStatusColumns(done, false, NOW).status).toBe('Completed');
    expect(podStatusColumns(podWith('Running', [], [cs('a', running)]), true, NOW)).toMatchObject({
      status: 'Orphaned',
      ready: '0/1',
    });
  });
});

describe('the table', () => {
  test("kubectl's columns, padded; wide adds IP, NODE, NOMINATED NODE, READINESS GATES", () => {
    const a = psRow(podWith('Running', [], [cs('a', running)]), false, NOW, 'host1');
    const b = psRow(
      podWith(
        'Running',
        [],
        [cs('a', running), cs('b', waiting('CrashLoopBackOff'), { restartCount: 12, lastState: ended(1, 'Error') })],
      ),
      false,
      NOW,
      'host1',
    );
    b.name = 'longer-name';
    expect(formatTable(PS_HEADER, [psCells(a, false), psCells(b, false)])).toBe(
      'NAME          READY   STATUS             RESTARTS       AGE\n' +
        'web           1/1     Running            0              60m\n' +
        'longer-name   1/2     CrashLoopBackOff   12 (42s ago)   60m\n',
    );
    expect(formatTable(PS_WIDE_HEADER, [psCells(a, true)]).split('\n')[1]).toMatch(
      /^web +1\/1 +Running +0 +60m +10\.0\.0\.7 +host1 +<none> +<none>$/,
    );
    expect(formatTable(undefined, [psCells(a, false)])).toBe('web   1/1   Running   0   60m\n');
  });
});

describe('-o json|yaml|name', () => {
  test('a listing is a v1 List; one pod is itself; name is pod/NAME', () => {
    const p = podWith('Running', [], [cs('a', running)]);
    expect(JSON.parse(formatPods([p], 'json', true))).toEqual({
      apiVersion: 'v1',
      items: [JSON.parse(JSON.stringify(p))],
      kind: 'List',
      metadata: { resourceVersion: '' },
    });
    expect(JSON.parse(formatPods([p], 'json', false)).kind).toBe('Pod');
    expect(formatPods([p], 'yaml', true)).toMatch(/^apiVersion: v1\nitems:\n {2}- apiVersion: v1\n {4}kind: Pod\n/);
    expect(formatPods([p, p], 'name', false)).toBe('pod/web\npod/web\n');
    expect(podList([])).toMatchObject({ kind: 'List', items: [] });
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/canary': '' };
  test.each<[string, boolean]>([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app!=web', false],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['missing in (x)', false],
    ['app notin (db, cache)', true],
    ['missing notin (x)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['example.com/canary', true],
    ['example.com/canary=', true],
    ['app=web,tier=front', true],
    ['app=web, tier=back', false],
    ['app in (web, db),!missing', true],
  ])('%j → %s', (sel, ok) => {
    expect(matches(parseSelector(sel), labels)).toBe(ok);
  });

  test.each([
    ['app=', false],
    ['=web', true],
    ['app=we b', true],
    ['app in ()', true],
    ['app=web,', true],
    ['Bad_/x', true],
    ['app=-web', true],
    ['app >< b', true],
  ])('%j parses: %s', (sel, bad) => {
    if (bad) expect(() => parseSelector(sel)).toThrow(/invalid label selector/);
    else expect(() => parseSelector(sel)).not.toThrow();
  });

  test('no labels at all: only absence requirements hold', () => {
    expect(matches(parseSelector('!app,app notin (x),app!=y'), undefined)).toBe(true);
    expect(matches(parseSelector('app'), undefined)).toBe(false);
  });
});
