/**
 * The supervisor's own logic without root: a whole pod run by runPod against the pretend host
 * (fault-host.ts, whose processes "exit" when the test says or when signalled). Init containers one
 * at a time and in order, a failing init container under restartPolicy Never, restarts as new
 * instances under OnFailure (and none after a success), and a stop: SIGTERM, SIGKILL once the
 * grace period is over, then the pod's ledger walked backwards, leaving no mount, cgroup, process
 * or network attachment on the host.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import { runPod, type RunningPod } from '../../../src/supervisor/run-pod.js';
import type { NativePlan } from '../../../src/kernel.js';
import type { PodState } from '../../../src/state/types.js';
import { FaultHost, pretendWorld } from './fault-host.js';

/** A FaultHost on which some containers ignore SIGTERM (by their command's name), and cgroups can be held. */
class StubbornHost extends FaultHost {
  readonly stubborn = new Set<string>();
  /** while set, making a cgroup whose name ends so waits for it */
  hold?: { suffix: string; until: Promise<void>; reached: () => void };
  override async createCgroup(rel: string, limits: unknown, record: (dir: string) => Promise<void>) {
    const h = this.hold;
    if (h && rel.endsWith(h.suffix)) {
      h.reached();
      await h.until;
    }
    return super.createCgroup(rel, limits, record);
  }
  private byPidfd = new Map<number, string>();
  override spawn(plan: NativePlan) {
    const p = super.spawn(plan);
    this.byPidfd.set(p.pidfd, commandOf(plan));
    return p;
  }
  override signal(pidfd: number, sig: number): boolean {
    if (sig === 15 && this.stubborn.has(this.byPidfd.get(pidfd) ?? '')) {
      this.record(['signal', pidfd, sig]);
      return true;
    }
    return super.signal(pidfd, sig);
  }
}

const commandOf = (plan: NativePlan) => {
  const exec = plan.ops.find((o) => o.op === 'exec');
  return exec?.op === 'exec' ? exec.argv[exec.argv.length - 1]! : '?';
};

const world = pretendWorld('tspod-svlife-', () => new StubbornHost());
let backoff: string | undefined;
beforeAll(() => {
  backoff = process.env.TSPOD_BACKOFF_BASE_MS;
  process.env.TSPOD_BACKOFF_BASE_MS = '50';
});
afterAll(() => {
  if (backoff === undefined) delete process.env.TSPOD_BACKOFF_BASE_MS;
  else process.env.TSPOD_BACKOFF_BASE_MS = backoff;
});

type C = { name: string; command: string[]; restartPolicy?: string };
const c = (name: string): C => ({ name, command: ['sh', '-c', name] });

function start(spec: {
  restartPolicy?: string;
  initContainers?: C[];
  containers: C[];
  terminationGracePeriodSeconds?: number;
}): Promise<RunningPod> {
  const pod = validatePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      ...spec,
      initContainers: spec.initContainers?.map((x) => ({ ...x, image: 'busybox' })),
      containers: spec.containers.map((x) => ({ ...x, image: 'busybox' })),
    },
  }).pod;
  const { image } = world;
  const images = Object.fromEntries([...pod.spec.initContainers, ...pod.spec.containers].map((x) => [x.name, image]));
  return runPod({
    roots: world.roots,
    pod,
    images,
    network: 'none',
    keep: true,
    host: world.host,
    sink: () => undefined,
    explain: () => undefined,
    warn: () => undefined,
  });
}

/** Holds the making of the cgroup whose name ends in `suffix`: atCgroup once it is reached, until release(). */
function holdCgroup(suffix: string): { atCgroup: Promise<void>; release: () => void } {
  let release!: () => void;
  let reached!: () => void;
  const atCgroup = new Promise<void>((r) => (reached = r));
  world.host.hold = { suffix, until: new Promise<void>((r) => (release = r)), reached };
  return { atCgroup, release: () => release() };
}

/** The commands spawned so far, in order ("pause" for the infra). */
const spawned = () =>
  world.host.calls
    .filter((x) => x[0] === 'spawn')
    .map((x) => {
      const cmd = commandOf(x[1] as NativePlan);
      return cmd === '/pause' ? 'pause' : cmd;
    });
const until = async (what: string, cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (spawned: ${spawned().join(', ')})`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const settle = () => new Promise((r) => setTimeout(r, 150));
const onDisk = (): PodState =>
  JSON.parse(fs.readFileSync(path.join(world.roots.runRoot, 'pods', 'p', 'state.json'), 'utf8')) as PodState;
/** The n-th spawned process (0: the infra), for FaultHost.exit. */
const nth = (cmd: string, k = 0) =>
  spawned()
    .map((s, i) => [s, i] as const)
    .filter(([s]) => s === cmd)[k]![1];

describe('the supervisor, against a pretend host', () => {
  test('init containers run one at a time, in order, each after the last exited 0; then the app containers', async () => {
    const running = await start({
      restartPolicy: 'Never',
      initContainers: [c('i1'), c('i2')],
      containers: [c('a'), c('b')],
    });
    await until('i1', () => spawned().includes('i1'));
    await settle();
    expect(spawned()).toEqual(['pause', 'i1']);
    world.host.exit(nth('i1'), 0);
    await until('i2', () => spawned().includes('i2'));
    await settle();
    expect(spawned()).toEqual(['pause', 'i1', 'i2']);
    world.host.exit(nth('i2'), 0);
    await until('a and b', () => spawned().includes('a') && spawned().includes('b'));
    world.host.exit(nth('a'), 0);
    world.host.exit(nth('b'), 0);
    expect(await running.done).toBe(0);
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);

  test('an init container that fails under restartPolicy Never fails the pod: no app container starts', async () => {
    const running = await start({ restartPolicy: 'Never', initContainers: [c('i1')], containers: [c('a')] });
    await until('i1', () => spawned().includes('i1'));
    world.host.exit(nth('i1'), 3);
    expect(await running.done).toBe(3);
    expect(spawned()).toEqual(['pause', 'i1']);
    expect(onDisk().status.phase).toBe('Failed');
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);

  test('OnFailure restarts a failed container as a new instance after the back-off, and not one that succeeded', async () => {
    const running = await start({ restartPolicy: 'OnFailure', containers: [c('a'), c('b')] });
    await until('a and b', () => spawned().includes('a') && spawned().includes('b'));
    world.host.exit(nth('a'), 1);
    world.host.exit(nth('b'), 0);
    await until('a again', () => spawned().filter((s) => s === 'a').length === 2);
    await settle();
    expect(spawned().filter((s) => s === 'b')).toHaveLength(1);
    const restarted = world.host.calls.filter((x) => x[0] === 'createCgroup').map((x) => String(x[1]).split('/').pop());
    expect(restarted).toEqual(expect.arrayContaining(['a-0', 'b-0', 'a-1']));
    await until(
      'the restart recorded',
      () => onDisk().status.containerStatuses.find((s) => s.name === 'a')?.restartCount === 1,
    );
    world.host.exit(nth('a', 1), 0);
    expect(await running.done).toBe(0);
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);

  test('another container ending while a restart is being made does not end the pod (nor leave the new instance behind)', async () => {
    const running = await start({ restartPolicy: 'OnFailure', containers: [c('a'), c('b')] });
    await until('a and b', () => spawned().includes('a') && spawned().includes('b'));
    const { atCgroup, release } = holdCgroup('/a-1');
    world.host.exit(nth('a'), 1);
    await atCgroup; // the back-off is over and a's next instance is being made
    world.host.exit(nth('b'), 0);
    await settle();
    release();
    await until('a again', () => spawned().filter((s) => s === 'a').length === 2);
    let ended = false;
    void running.done.then(() => (ended = true));
    await settle();
    expect(ended).toBe(false);
    world.host.exit(nth('a', 1), 0);
    expect(await running.done).toBe(0);
    expect(onDisk().status.phase).toBe('Succeeded');
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);

  test('a stop that comes while a restart is being made stops the new instance too', async () => {
    const running = await start({ restartPolicy: 'OnFailure', containers: [c('a'), c('b')] });
    await until('a and b', () => spawned().includes('a') && spawned().includes('b'));
    const { atCgroup, release } = holdCgroup('/a-1');
    world.host.exit(nth('a'), 1);
    await atCgroup;
    running.stop(0);
    await settle();
    release();
    expect(await running.done).toBe(143);
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);

  test('a stop sends SIGTERM, SIGKILL to a container still running after the grace period, then undoes the ledger', async () => {
    world.host.stubborn.add('stubborn');
    const running = await start({ terminationGracePeriodSeconds: 1, containers: [c('polite'), c('stubborn')] });
    await until('both', () => spawned().includes('polite') && spawned().includes('stubborn'));
    const t0 = Date.now();
    running.stop();
    const status = await running.done;
    const signals = world.host.calls
      .filter((x) => x[0] === 'signal')
      .map((x) => [spawned()[(x[1] as number) - 5_000_000], x[2]]);
    expect(signals).toEqual(
      expect.arrayContaining([
        ['polite', 15],
        ['stubborn', 15],
        ['stubborn', 9],
        ['pause', 15],
      ]),
    );
    expect(signals.findIndex(([n, s]) => n === 'stubborn' && s === 9)).toBeGreaterThan(
      signals.findIndex(([n, s]) => n === 'stubborn' && s === 15),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(status).toBe(143);
    expect(onDisk()).toMatchObject({ tornDown: true, ledger: [] });
    expect(world.host.leftovers([])).toEqual([]);
  }, 30_000);
});
