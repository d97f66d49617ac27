/**
 * `tspod run` as a user runs it: --dry-run touches nothing, --explain narrates the steps, and
 * SIGINT/SIGTERM stop the pod gracefully (the stop signal, then SIGKILL after the grace period).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, start, waitFor, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('run');
});
afterAll(() => removeRoots(roots));

const busybox = (name: string, script: string) => ({ name, image: 'busybox', command: ['sh', '-c', script] });

describe('tspod run', () => {
  test('--dry-run --json prints the whole pod (host steps, infra, containers) and touches nothing', async () => {
    const res = await runPod(roots, pod('dry', { containers: [busybox('a', 'true'), busybox('b', 'true')] }), [
      '--dry-run',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const whole = JSON.parse(res.stdout);
    const plans = [whole.infra, ...whole.containers.map((c: { plan: unknown }) => c.plan)];
    expect(plans.map((p: { name: string }) => p.name)).toEqual(['infra', 'a', 'b']);
    expect(plans[1].ops.at(-1)).toMatchObject({ op: 'exec', argv: ['sh', '-c', 'true'] });
    expect(whole.hostSteps.map((s: { kind: string }) => s.kind)).toEqual(
      expect.arrayContaining(['mkdir', 'tmpfs', 'cgroup', 'infra', 'containers']),
    );
    expect(fs.existsSync(path.join(roots.runRoot, 'pods', 'dry'))).toBe(false);
    expect(fs.existsSync(path.join(roots.root, 'pods', 'dry'))).toBe(false);
  });

  test('--explain narrates the namespaces, mounts and the exec, in order', async () => {
    const res = await runPod(
      roots,
      pod('explained', { restartPolicy: 'Never', containers: [busybox('a', 'echo hi')] }),
      ['--explain', '--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stderr.split('\n');
    // Each step is looked for after the previous one.
    let from = 0;
    const at = (re: RegExp) => {
      const i = lines.findIndex((l, n) => n >= from && re.test(l));
      from = i + 1;
      return i;
    };
    const order = [
      at(/infra: clone\(CLONE_NEWNS/),
      at(/sethostname\("explained"\)/),
      at(/infra: running as pid/),
      at(/a: clone\(CLONE_NEWNS \| CLONE_NEWPID/),
      at(/setns\(infra, uts\+net\+ipc\)/),
      at(/pivot_root/),
      at(/execve\("sh"/),
      at(/a: running as pid/),
    ];
    expect(
      order.every((i) => i >= 0),
      res.stderr,
    ).toBe(true);
    expect(linesOf(res.stdout, 'a')).toEqual(['hi']);
    expectClean(roots);
  });

  test('SIGTERM stops the pod: SIGTERM to the containers, SIGKILL after the grace period, exit 143', async () => {
    const manifest = pod('stopped', {
      terminationGracePeriodSeconds: 2,
      containers: [
        busybox('polite', 'trap "echo got-term; exit 0" TERM; echo ready; while true; do sleep 0.1; done'),
        busybox('stubborn', 'trap "echo ignoring-term" TERM; echo ready; while true; do sleep 0.1; done'),
      ],
    });
    const run = start(roots, ['run', '--network', 'none', '-'], JSON.stringify(manifest));
    await waitFor('both containers', () => run.output().split('ready').length === 3);
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const res = await run.done;
    const took = Date.now() - sent;
    expect(res.code).toBe(143);
    expect(linesOf(res.stdout, 'polite')).toContain('got-term');
    expect(linesOf(res.stdout, 'stubborn')).toContain('ignoring-term');
    // The stubborn one lived out the grace period before SIGKILL.
    expect(took).toBeGreaterThanOrEqual(2000);
    expectClean(roots);
  });

  test('SIGINT gives 130 and the pod is gone', async () => {
    // sleep as PID 1 has no SIGTERM handler, so it ignores SIGTERM: the SIGKILL after 2 s ends it.
    const run = start(
      roots,
      ['run', '--network', 'none', '-'],
      JSON.stringify(
        pod('int', { terminationGracePeriodSeconds: 2, containers: [busybox('a', 'echo ready; exec sleep 60')] }),
      ),
    );
    await waitFor('the container', () => run.output().includes('ready'));
    run.child.kill('SIGINT');
    expect((await run.done).code).toBe(130);
    expectClean(roots);
  });

  test('--keep leaves the terminated pod listed until rm', async () => {
    const res = await runPod(roots, pod('kept', { restartPolicy: 'Never', containers: [busybox('a', 'exit 4')] }), [
      '--keep',
      '--network',
      'none',
    ]);
    expect(res.code).toBe(4);
    const state = JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods/kept/state.json'), 'utf8'));
    expect(state.status.phase).toBe('Failed');
    expect(state.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 4, reason: 'Error' });
    fs.rmSync(path.join(roots.runRoot, 'pods/kept'), { recursive: true });
    fs.rmSync(path.join(roots.root, 'pods/kept'), { recursive: true });
    expectClean(roots);
  });
});
