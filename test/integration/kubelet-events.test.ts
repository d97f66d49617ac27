/**
 * Events, as `tspod events` shows them: a container that fails twice and then succeeds leaves the
 * kubelet's Scheduled, Pulled, Created, Started and BackOff events, folded by count.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('events');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const flaky = 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; [ "$n" -ge 3 ] && exit 0; exit 1';

describe('tspod events', () => {
  test('restarts show as Created/Started/BackOff events with counts; --json has the Event objects', async () => {
    const manifest = pod('evts', {
      restartPolicy: 'OnFailure',
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [busybox('flaky', flaky, { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
    });
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const json = await tspod(roots, ['events', 'evts', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const events = JSON.parse(json.stdout) as {
      reason: string;
      message: string;
      count: number;
      type: string;
      involvedObject: { name: string; fieldPath?: string };
    }[];
    const by = (reason: string) => events.find((e) => e.reason === reason);
    expect(by('Scheduled')).toMatchObject({ type: 'Normal', count: 1, involvedObject: { name: 'evts' } });
    expect(by('Pulled')).toMatchObject({ message: 'Container image "busybox" already present on machine', count: 3 });
    expect(by('Created')).toMatchObject({
      message: 'Created container: flaky',
      count: 3,
      involvedObject: { fieldPath: 'spec.containers{flaky}' },
    });
    expect(by('Started')).toMatchObject({ message: 'Started container flaky', count: 3 });
    expect(by('BackOff')).toMatchObject({ type: 'Warning', count: 2 });
    expect(by('BackOff')!.message).toMatch(/^Back-off restarting failed container flaky in pod evts_default\(.+\)$/);
    const table = await tspod(roots, ['events', 'evts']);
    expect(table.stdout.split('\n')[0]).toMatch(/^TYPE +REASON +AGE +FROM +MESSAGE$/);
    expect(table.stdout).toMatch(
      /Warning +BackOff +\S+ \(x2 over \S+\) +kubelet +Back-off restarting failed container flaky/,
    );
    const bad = await tspod(roots, ['events', 'Not_A_Name']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/pod name "Not_A_Name"/);
    const state = readState(roots, 'evts');
    expect((await tspod(roots, ['rm', 'evts'])).code).toBe(0);
    await expectNothingLeft(roots, [state]);
  });
});
