/**
 * Soak: many pods started and removed leave the host exactly as it was. 200 pods one after another
 * (most with `--network none`, the cheapest pod that still takes the whole path: pod directories
 * and files, cgroups in every hierarchy, the infra, a container with its overlay root, teardown;
 * a subset on a CNI network of the test's own: veth, bridge port, lease, iptables rules, netns
 * pin), then 20 at once, each a foreground `tspod run` of `/bin/true`; then a resident supervisor
 * whose open fds must not grow over many exec, logs and inspect calls; then foreground runs
 * interrupted (SIGINT, SIGTERM) at moments spread over their start, from Node's own start to the
 * running container: each must end promptly and leave nothing.
 *
 * Every leak check is scoped to what this file made (its pod uids, its roots, its bridge and IPAM
 * store), so pods of other test runs on the machine never make it fail (soak-helpers.ts).
 * How long each phase took is printed, to keep an eye on the CI budget.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newRoots, pod, removeRoots, runPod, start, tspod, waitFor, type TestRoots } from './helpers.js';
import { alive, readState } from './lifecycle-helpers.js';
import { fdCount, fdTargets, snapshot, type HostSnapshot, type OwnNetwork } from './soak-helpers.js';

const run = promisify(execFile);
const SEQUENTIAL = 200;
const SEQUENTIAL_CNI = 20; // of the 200, the last ones are on the CNI network
const AT_ONCE = 20;
const AT_ONCE_CNI = 5;
const CALLS = 25;
const INTERRUPTED = 24; // foreground runs stopped by a signal at a different moment each // rounds of exec + logs + inspect against the resident supervisor

const tag = randomBytes(3).toString('hex');
const net: OwnNetwork = {
  name: `tspodsoak-${tag}`,
  bridge: `tsps${tag}`,
  subnet: `10.205.${randomBytes(1)[0]}.0/24`,
  ipamDir: '',
};

let roots: TestRoots;
let before: HostSnapshot;
const uids: string[] = [];

beforeAll(async () => {
  roots = newRoots('soak');
  net.ipamDir = path.join(roots.dir, 'ipam');
  const confDir = path.join(roots.dir, 'net.d');
  fs.mkdirSync(confDir);
  // The built-in network's plugin chain (bridge, portmap, firewall), on a bridge, subnet and
  // host-local store of this file's own.
  const ipam = {
    type: 'host-local',
    ranges: [[{ subnet: net.subnet }]],
    routes: [{ dst: '0.0.0.0/0' }],
    dataDir: net.ipamDir,
  };
  const list = {
    cniVersion: '1.0.0',
    name: net.name,
    plugins: [
      { type: 'bridge', bridge: net.bridge, isGateway: true, ipMasq: true, hairpinMode: true, ipam },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'firewall' },
    ],
  };
  fs.writeFileSync(path.join(confDir, `50-${net.name}.conflist`), JSON.stringify(list));
  roots.env.TSPOD_CNI_CONFIG_DIR = confDir;
  before = await snapshot(roots, [], net);
});

afterAll(async () => {
  const left = fs.existsSync(path.join(roots.runRoot, 'pods')) ? fs.readdirSync(path.join(roots.runRoot, 'pods')) : [];
  if (left.length > 0) await tspod(roots, ['rm', '-f', ...left]);
  await run('ip', ['link', 'del', net.bridge]).catch(() => undefined);
  removeRoots(roots);
});

/** A pod that runs `/bin/true` once; its uid is recorded so every check can look for it. */
function truePod(name: string): object {
  const uid = randomUUID();
  uids.push(uid);
  return pod(
    name,
    { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['/bin/true'] }] },
    uid,
  );
}

async function runTrue(name: string, cni: boolean): Promise<void> {
  const res = await runPod(roots, truePod(name), ['--network', cni ? net.name : 'none']);
  expect(res.code, `${name}: ${res.stderr}`).toBe(0);
}

/**
 * What the first pod of a root makes once and every later pod shares: the pods directories of both
 * roots, the netns pin directory and the node's admission lock; and what the first detached pod
 * makes for all: the supervisor's directory (its locks and log) and the exit records' directory.
 * Anything else new is a leak.
 */
const SHARED = new Set([
  'root/pods/',
  'run/netns/',
  'run/node.lock',
  'run/pods/',
  'run/exits/',
  'run/supervisor/',
  'run/supervisor/lock',
  'run/supervisor/start.lock',
  'run/supervisor/supervisor.log',
]);

/** The host as before, looking for every pod this file made so far. */
async function expectAsBefore(): Promise<void> {
  const now = await snapshot(roots, uids, net);
  expect({ ...now, files: now.files.filter((f) => !SHARED.has(f)) }).toEqual({
    ...before,
    processes: [],
    mounts: [],
    cgroups: [],
  });
}

async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function timed(what: string, t0: number, n: number, unit = 'pods'): void {
  const s = (Date.now() - t0) / 1000;
  console.log(`soak: ${what}: ${n} ${unit} in ${s.toFixed(1)} s (${((s * 1000) / n).toFixed(0)} ms each)`);
}

describe('soak', () => {
  test(`${SEQUENTIAL} pods one after another leave nothing behind`, async () => {
    const t0 = Date.now();
    for (let i = 0; i < SEQUENTIAL; i++) {
      await runTrue(`seq-${i}`, i >= SEQUENTIAL - SEQUENTIAL_CNI);
      // A leak is easiest to read right where it starts: look after the first pod of each kind.
      if (i === 0 || i === SEQUENTIAL - SEQUENTIAL_CNI) await expectAsBefore();
    }
    timed('one after another', t0, SEQUENTIAL);
    await expectAsBefore();
  }, 600_000);

  test(`${AT_ONCE} pods at once leave nothing behind`, async () => {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => runTrue(`par-${i}`, i < AT_ONCE_CNI)));
    timed('at once', t0, AT_ONCE);
    await expectAsBefore();
  }, 300_000);

  test(`a resident supervisor's fds stay as they were over ${CALLS} rounds of exec, logs and inspect`, async () => {
    const uid = randomUUID();
    uids.push(uid);
    const manifest = pod(
      'resident',
      {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo up; exec sleep 3600'] }],
      },
      uid,
    );
    const started = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
    expect(started.code, started.stderr).toBe(0);
    const supervisor = readState(roots, 'resident').supervisor;
    const round = async (i: number) => {
      const ex = await tspod(roots, ['exec', 'resident', '--', 'echo', `call ${i}`]);
      expect(ex.code, ex.stderr).toBe(0);
      expect(ex.stdout).toBe(`call ${i}\n`);
      const logs = await tspod(roots, ['logs', 'resident']);
      expect(logs.stdout).toBe('up\n');
      const ins = await tspod(roots, ['inspect', 'resident']);
      expect(JSON.parse(ins.stdout).status.phase).toBe('Running');
    };
    // Node opens some descriptors lazily (its thread pool, the first connection's): warm up first.
    for (let i = 0; i < 3; i++) await round(i);
    const base = fdTargets(supervisor.pid);
    const t0 = Date.now();
    for (let i = 0; i < CALLS; i++) await round(i);
    timed('exec + logs + inspect', t0, CALLS, 'rounds');
    expect(
      fdCount(supervisor.pid),
      `fds before:\n${base.join('\n')}\nafter:\n${fdTargets(supervisor.pid).join('\n')}`,
    ).toBe(base.length);

    expect((await tspod(roots, ['stop', 'resident'])).code).toBe(0);
    expect((await tspod(roots, ['rm', 'resident'])).code).toBe(0);
    await waitFor('the supervisor to exit', () => !alive(supervisor) || undefined, 10_000);
    await expectAsBefore();
  }, 300_000);

  test(`${INTERRUPTED} foreground runs interrupted at every moment of their start leave nothing behind`, async () => {
    const t0 = Date.now();
    for (let i = 0; i < INTERRUPTED; i++) {
      const uid = randomUUID();
      uids.push(uid);
      const manifest = pod(
        `int-${i}`,
        {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'trap "exit 0" TERM; sleep 30 & wait'] }],
        },
        uid,
      );
      const cni = i % 4 === 3;
      const run = start(roots, ['run', '--network', cni ? net.name : 'none', '-'], JSON.stringify(manifest));
      // From Node's start (nothing made yet) through the sandbox, the infra and the container.
      await new Promise((r) => setTimeout(r, 40 + i * 25));
      run.child.kill(i % 2 === 0 ? 'SIGINT' : 'SIGTERM');
      // A stop that is lost lets `sleep 30` run to its end: far longer than the grace period.
      const res = await within(20_000, run.done, `int-${i}: the stop was lost`);
      expect(res.signal === null || res.signal === 'SIGINT' || res.signal === 'SIGTERM', res.stderr).toBe(true);
      expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    timed('interrupted', t0, INTERRUPTED);
    await expectAsBefore();
  }, 300_000);
});
