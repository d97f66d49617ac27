/**
 * The log monitor (tspod-monitor, native/monitor.c): each container instance's output is written
 * by a small C process of its own, not by the supervisor. Checked on real pods:
 *  - the log outlives the supervisor: lines a container writes after its supervisor was killed
 *    (SIGKILL) are in its log; `tspod gc` then leaves no monitor behind;
 *  - so do exit statuses: a detached supervisor runs under `tspod-monitor pod`, the subreaper
 *    that records the exit of a container that ends after the supervisor was killed; `inspect`
 *    shows it; the pod monitor killed changes nothing while the supervisor lives;
 *  - a monitor killed (SIGKILL) while its container runs: the container is killed (nothing reads its
 *    output any more), a LogMonitorFailed event says why, the pod ends Failed and `rm` leaves
 *    nothing;
 *  - a hostile container (a flood without newlines, binary) cannot make the monitor grow: its
 *    peak memory stays at a few hundred KiB while every byte reaches the log.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseLog } from '../../src/logs/cri-log.js';
import { pod, processesWith, removeRoots, tspod, waitFor, type TestRoots } from './helpers.js';
import { alive, busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('monitor');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const logOf = (name: string, container: string) => path.join(roots.root, 'pods', name, 'logs', container, '0.log');
const monitorsOf = (name: string) => processesWith(`tspod-monitor log ${path.join(roots.root, 'pods', name)}/`);

async function runDetached(manifest: object, env: Record<string, string> = {}): Promise<void> {
  const res = await tspod(
    { ...roots, env: { ...roots.env, ...env } },
    ['run', '-d', '--network', 'none', '-'],
    JSON.stringify(manifest),
  );
  expect(res.code, res.stderr).toBe(0);
}

/** VmHWM (peak resident memory) of a process, in KiB. */
function peakKiB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

describe('the log monitor', () => {
  test('the log outlives the supervisor: lines written after it was killed are logged; gc leaves no monitor', async () => {
    await runDetached(
      pod('outlive', {
        containers: [busybox('a', 'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.05; done')],
      }),
    );
    const state = readState(roots, 'outlive');
    expect(monitorsOf('outlive')).toHaveLength(1);
    await waitFor(
      'a first line',
      () => fs.readFileSync(logOf('outlive', 'a'), 'utf8').includes('line 1\n') || undefined,
    );
    process.kill(state.supervisor.pid, 'SIGKILL');
    await waitFor('the supervisor to die', () => !alive(state.supervisor) || undefined);
    const atKill = parseLog(fs.readFileSync(logOf('outlive', 'a'))).length;
    // Lines keep coming, numbered without a gap, with nobody but the monitor to write them.
    const lines = await waitFor('20 more lines', () => {
      const l = parseLog(fs.readFileSync(logOf('outlive', 'a')));
      return l.length >= atKill + 20 ? l : undefined;
    });
    expect(lines.map((l) => l.content.toString())).toEqual(lines.map((_, i) => `line ${i}`));
    const ps = await tspod(roots, ['ps', '-a']);
    expect(ps.stdout).toMatch(/outlive\s+\S+\s+Orphaned/);
    const gc = await tspod(roots, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    await expectNothingLeft(roots, [state]);
    expect(monitorsOf('outlive')).toEqual([]);
  }, 60_000);

  test('exits while the supervisor is gone are recorded: inspect shows them; gc leaves no monitor', async () => {
    await runDetached(
      pod('exits', {
        restartPolicy: 'Never',
        containers: [
          busybox('a', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; echo bye; exit 3'),
          busybox('b', 'exec sleep 1000'),
        ],
      }),
    );
    const state = readState(roots, 'exits');
    // The supervisor's parent is the pod's monitor, the subreaper that records what it leaves.
    const ppid = Number(fs.readFileSync(`/proc/${state.supervisor.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0').slice(0, 2)).toEqual([
      expect.stringMatching(/tspod-monitor$/),
      'host',
    ]);
    process.kill(state.supervisor.pid, 'SIGKILL');
    await waitFor('the supervisor to die', () => !alive(state.supervisor) || undefined);
    // Now container a ends, with nobody but the monitor to see it.
    const go = await tspod(roots, ['exec', 'exits', '-c', 'a', '--', 'touch', '/tmp/go']);
    expect(go.code, go.stderr).toBe(0);
    const status = await waitFor('a recorded as terminated', async () => {
      const p = JSON.parse((await tspod(roots, ['inspect', 'exits', '-o', 'json'])).stdout);
      const a = p.status.containerStatuses.find((c: { name: string }) => c.name === 'a');
      return 'terminated' in a.state ? p.status : undefined;
    });
    expect(status.phase).toBe('Unknown'); // (orphaned: nobody vouches for the pod as a whole)
    const [a, b] = status.containerStatuses;
    expect(a.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(b.state).toHaveProperty('running');
    expect(fs.readFileSync(logOf('exits', 'a'), 'utf8')).toMatch(/ stdout F bye\n$/);
    const gc = await tspod(roots, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    await expectNothingLeft(roots, [state]);
    await waitFor('the pod monitor to be gone', () => !fs.existsSync(`/proc/${ppid}`) || undefined);
  }, 60_000);

  test('the pod monitor killed: the supervisor goes on, the pod stops and is removed as ever', async () => {
    await runDetached(pod('podmon', { containers: [busybox('a', 'exec sleep 1000')] }));
    const state = readState(roots, 'podmon');
    const ppid = Number(fs.readFileSync(`/proc/${state.supervisor.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8')).toMatch(/tspod-monitor\0host\0/);
    process.kill(ppid, 'SIGKILL');
    await waitFor('the pod monitor to be gone', () => !fs.existsSync(`/proc/${ppid}/stat`) || undefined);
    expect(alive(state.supervisor)).toBe(true);
    const ps = await tspod(roots, ['ps']);
    expect(ps.stdout).toMatch(/podmon\s+1\/1\s+Running/);
    const stop = await tspod(roots, ['stop', '-t', '0', 'podmon']);
    expect(stop.code, stop.stderr).toBe(0);
    const rm = await tspod(roots, ['rm', 'podmon']);
    expect(rm.code, rm.stderr).toBe(0);
    await expectNothingLeft(roots, [state]);
  }, 60_000);

  test('a monitor killed while its container runs: the container is killed, the event says why, the pod fails', async () => {
    await runDetached(
      pod('killed', {
        restartPolicy: 'Never',
        containers: [busybox('a', 'trap "" PIPE; while true; do echo tick; sleep 0.1; done')],
      }),
    );
    const state = readState(roots, 'killed');
    const [monitor] = monitorsOf('killed');
    expect(monitor).toBeGreaterThan(0);
    process.kill(monitor, 'SIGKILL');
    await waitFor('the pod to fail', () => readState(roots, 'killed').status.phase === 'Failed' || undefined, 30_000);
    const events = await tspod(roots, ['events', 'killed']);
    expect(events.stdout).toMatch(
      /Warning\s+LogMonitorFailed\s+.*the log monitor of container a was killed by SIGKILL/,
    );
    const rm = await tspod(roots, ['rm', 'killed']);
    expect(rm.code, rm.stderr).toBe(0);
    await expectNothingLeft(roots, [state]);
    expect(monitorsOf('killed')).toEqual([]);
  }, 60_000);

  test('a flood without newlines, and binary, from inside a pod: every byte logged, the monitor stays small', async () => {
    // 48 MiB of random bytes with no newline, then a marker line: written as fast as the pipe takes it.
    const script =
      'head -c 50331648 /dev/urandom | tr -d "\\n" > /tmp/flood; sha256sum /tmp/flood >&2; cat /tmp/flood; echo; echo end; sleep 1000';
    // (one log file: the whole flood stays, to be checked)
    await runDetached(pod('flood', { restartPolicy: 'Never', containers: [busybox('a', script)] }), {
      TSPOD_LOG_MAX_SIZE: '1Gi',
    });
    const [monitor] = monitorsOf('flood');
    const text = () => fs.readFileSync(logOf('flood', 'a'));
    await waitFor('the end marker', () => text().includes(' stdout F end\n') || undefined, 60_000);
    // The whole flood went through a fixed buffer: peak memory (the binary's pages included) stays small.
    expect(peakKiB(monitor)).toBeLessThan(4096);
    const lines = parseLog(text());
    const out = lines.filter((l) => l.stream === 'stdout');
    const flood = Buffer.concat(out.slice(0, -1).map((l) => l.content));
    const said = lines.find((l) => l.stream === 'stderr')!.content.toString();
    expect(said).toContain(crypto.createHash('sha256').update(flood).digest('hex'));
    // 16 KiB P pieces, then the F that ends the line (the flood's last bytes before the echo).
    expect(out.slice(0, -2).every((l) => l.partial && l.content.length === 16384)).toBe(true);
    expect(out.at(-2)!.partial).toBe(false);
    const stop = await tspod(roots, ['rm', '-f', 'flood']);
    expect(stop.code, stop.stderr).toBe(0);
  }, 120_000);
});
