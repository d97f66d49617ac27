/**
 * tspod under test: a store and run root of its own in the bench's temporary directory, the
 * busybox image built into that store by rootfs/busybox.sh (as the integration tests do), and the
 * pod the bench runs: one busybox container whose command is `true`, restartPolicy Never, given on
 * standard input (`tspod run -`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run } from './measure.mjs';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const TSPOD = path.join(REPO, 'bin/tspod');

export const POD = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'bench' },
  spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
});

/** The isolated tspod of the bench under `dir`: its environment, and the busybox image's rootfs. */
export function prepareTspod(dir) {
  const t = { root: path.join(dir, 'root'), runRoot: path.join(dir, 'run') };
  t.env = { ...process.env, TSPOD_ROOT: t.root, TSPOD_RUN_ROOT: t.runRoot };
  run(path.join(REPO, 'rootfs/busybox.sh'), [], { env: t.env });
  const inspect = run(TSPOD, ['image', 'inspect', 'busybox'], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.rootfs = JSON.parse(inspect.stdout).rootfs;
  return t;
}

/** `tspod run [args] -` of the bench pod, to its exit. */
export function tspodRun(t, args) {
  run(TSPOD, ['run', ...args, '-'], { env: t.env, input: POD, stdio: ['pipe', 'ignore', 'pipe'] });
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
 * One `tspod run`, split where tspod prints that the pod has started: before, Node's start, the
 * manifest, the sandbox, the infra and the container's start; after, the container's run, the
 * teardown and Node's exit. Asynchronous spawn (to see the line when it comes), so kept apart from
 * the main table, which is all spawnSync.
 */
export function tspodRunSplit(t, args) {
  return new Promise((resolve, reject) => {
    const begin = process.hrtime.bigint();
    let started;
    let stderr = '';
    const child = spawn(TSPOD, ['run', ...args, '-'], { env: t.env, stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (started === undefined && /pod "bench" started/.test(stderr)) started = process.hrtime.bigint();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const end = process.hrtime.bigint();
      if (code !== 0 || started === undefined) {
        reject(new Error(`tspod run ${args.join(' ')}: status ${code}, no "started" line?\n${stderr.trim()}`));
        return;
      }
      resolve({ started: Number(started - begin) / 1e6, rest: Number(end - started) / 1e6 });
    });
    child.stdin.end(POD);
  });
}
