/**
 * tspod under test: a store and run root of its own in the bench's temporary directory, the
 * busybox image built into that store by rootfs/busybox.sh (as the integration tests do), and the
 * pods the bench runs, given on standard input (`tspod run -`): one busybox container whose command
 * is `true` (restartPolicy Never), and pod2, two such containers (issue 15's shape). Their image is
 * `imagePullPolicy: IfNotPresent`: `busybox` means `:latest`, which Kubernetes pulls `Always`, and a
 * start-up bench must not contact a registry (runc and crun are given a root file system).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run } from './measure.mjs';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const TSPOD = path.join(REPO, 'bin/tspod');

const container = (name, command) => ({ name, image: 'busybox', imagePullPolicy: 'IfNotPresent', command });
const pod = (name, containers, restartPolicy = 'Never') =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { restartPolicy, terminationGracePeriodSeconds: 0, containers },
  });

export const POD = pod('bench', [container('c', ['true'])]);
export const POD2 = pod('bench', [container('a', ['true']), container('b', ['true'])]);
/** A pod that stays (for run -d, ps, inspect, logs), named `name`. */
export const sleeper = (name) => pod(name, [container('c', ['sleep', '3600'])], 'Always');

/** The isolated tspod of the bench under `dir`: its environment, and the busybox image's rootfs. */
export function prepareTspod(dir) {
  const t = { root: path.join(dir, 'root'), runRoot: path.join(dir, 'run') };
  t.env = { ...process.env, TSPOD_ROOT: t.root, TSPOD_RUN_ROOT: t.runRoot };
  run(path.join(REPO, 'rootfs/busybox.sh'), [], { env: t.env });
  const inspect = run(TSPOD, ['image', 'inspect', 'busybox'], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
  // The busybox image is one layer: its directory is the root file system runc and crun are given.
  const { lowerDirs } = JSON.parse(inspect.stdout);
  if (lowerDirs?.length !== 1)
    throw new Error(`the busybox image should be one layer, not ${JSON.stringify(lowerDirs)}`);
  t.rootfs = lowerDirs[0];
  return t;
}

/** `tspod run [args] -` of a bench pod (POD unless given), to its exit. */
export function tspodRun(t, args, manifest = POD) {
  run(TSPOD, ['run', ...args, '-'], { env: t.env, input: manifest, stdio: ['pipe', 'ignore', 'pipe'] });
}

/** `tspod ARGS`, for a command that ends (ps, inspect, logs, rm); a detached supervisor's stderr to a file. */
export function tspodCommand(t, args, input) {
  const stderrFile = path.join(t.root, '..', 'command.stderr');
  return run(TSPOD, args, {
    env: t.env,
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    stderrFile,
  });
}

const cniConfig = () => import(path.join(REPO, 'dist/network/config.js'));

/** Where tspod looks for CNI plugins (TSPOD_CNI_PATH, else its defaults). */
export async function cniPluginDirs() {
  return (await cniConfig()).cniSettings().pluginDirs;
}

/** The plugins of the built-in `tspod` network that are in none of the CNI plugin directories. */
export async function missingCniPlugins() {
  const { builtinNetwork, cniSettings } = await cniConfig();
  const settings = cniSettings();
  const net = builtinNetwork(settings);
  const types = [...net.plugins.map((p) => p.type), ...net.plugins.map((p) => p.ipam?.type).filter(Boolean)];
  return types.filter((type) => !settings.pluginDirs.some((d) => fs.existsSync(path.join(d, type))));
}

/**
 * Where one `tspod run --explain` of `manifest` spends its time, from the moments its lines reach
 * us (stderr is a pipe, written synchronously): each phase ends where the next begins.
 * --explain adds its own printing (the plans, step by step) to every phase after `load`.
 */
const PHASES = [
  [
    'load + manifest',
    /^\[tspod\] admission /,
    "Node's start, loading the CLI, reading and checking the manifest, images",
  ],
  ['sandbox', /^\[tspod\] host step \d+: cgroup /, 'admission, state, pod directories, /etc files, /dev/shm'],
  ['cgroups', /^\[tspod\] host step \d+: spawn the infra/, "the pod's and the infra's cgroups"],
  ['infra', /^\[tspod\] host step \d+: run the containers/, 'the infra spawned (namespaces, its cgroup joined)'],
  ['containers', /^tspod: pod "[^"]+" started/, "each container's layers, cgroup, plan and spawn"],
  ['run', /^\[tspod\] undo host step /, 'the containers run (`true`) and are seen to end'],
  [
    'teardown',
    /^\[tspod\] undo host step 1: /,
    'the ledger undone, last step first: processes, cgroups, mounts, directories',
  ],
];

export function tspodRunPhases(t, args, manifest) {
  return new Promise((resolve, reject) => {
    const begin = process.hrtime.bigint();
    const marks = [];
    let stderr = '';
    let pending = '';
    const child = spawn(TSPOD, ['run', '--explain', ...args, '-'], { env: t.env, stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      const now = process.hrtime.bigint();
      stderr += chunk;
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) {
        if (PHASES[marks.length]?.[1].test(line)) marks.push(now);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const end = process.hrtime.bigint();
      if (code !== 0 || marks.length < PHASES.length) {
        reject(
          new Error(
            `tspod run --explain ${args.join(' ')}: status ${code}, phases seen ${marks.length}\n${stderr.trim().slice(-2000)}`,
          ),
        );
        return;
      }
      const at = [begin, ...marks];
      const ms = (a, b) => Number(b - a) / 1e6;
      resolve(
        Object.fromEntries([
          ...PHASES.map(([name], i) => [name, ms(at[i], at[i + 1])]),
          ['exit', ms(at[PHASES.length], end)],
        ]),
      );
    });
    child.stdin.end(manifest);
  });
}

/** The phases' names and what each holds, in order (the last, `exit`, is Node's own exit). */
export const PHASE_ROWS = [
  ...PHASES.map(([name, , what]) => ({ name, what })),
  { name: 'exit', what: "the last undo, the pod's files removed, Node's exit" },
];
