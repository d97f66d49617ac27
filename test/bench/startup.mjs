#!/usr/bin/env node
/**
 * `make bench`: how long tspod takes to run a pod, side by side with runc and crun, in one run.
 *
 * Each row is the wall-clock time of one command from spawn to exit, `--runs` times after
 * `--warmup` unrecorded runs (measure.mjs):
 *
 *   tspod run --network none -   a pod of one busybox container running `true` (restartPolicy
 *                                Never): sandbox, cgroups, infra, container, teardown
 *   tspod pod2 --network none    the same with two containers (issue 15's pod2)
 *   tspod run -, tspod pod2      both on the default CNI network "tspod" (needs the plugins)
 *   tspod run --dry-run -        Node's start, the manifest and the plans only
 *   tspod run -d, ps, inspect,   a detached pod's start; the listing, the Pod object and the logs
 *   logs                         of a running detached pod
 *   runc run, crun run           one container running `true` on the same busybox rootfs (oci.mjs)
 *   runc run ×2, crun run ×2     two containers, the second in the first's net/ipc/uts namespaces
 *   runc pod2, crun pod2         a holder and two containers in its namespaces: pod2's equivalent
 *
 * then a breakdown of tspod's time (breakdown.mjs: Node's own start, and the phases of one pod2
 * run), and issue 15's targets checked against this run's medians (report.mjs). Each median is
 * also given divided by runc's and crun's: a ratio from one run on one machine, which is what can
 * be compared across changes.
 *
 * Everything lives in one temporary directory (tspod's root and run root, the OCI bundles, the
 * runtimes' state), which is checked and removed at the end (checks.mjs): the image unchanged, and
 * no mounts, pods, netns pins, containers or cgroups left behind. Exit status 1 if any check fails.
 *
 * Usage (as root, after `make setup`): node test/bench/startup.mjs [--runs N] [--warmup N] [--json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureBreakdown } from './breakdown.mjs';
import { cgroupsNamed, entriesIn, fingerprint, mountsUnder } from './checks.mjs';
import { isInterrupted, run, series, stopOnInterrupt, timed } from './measure.mjs';
import { measureRuntime, removeLeftovers, runtime, writeBundles } from './oci.mjs';
import { cgroupMode, machine, targets, textReport, withStats } from './report.mjs';
import {
  cniPluginDirs,
  missingCniPlugins,
  POD,
  POD2,
  prepareTspod,
  REPO,
  sleeper,
  tspodCommand,
  tspodRun,
} from './tspod.mjs';

const ID_PREFIX = `tspod-bench-${process.pid}`;
const WORKER = path.join(import.meta.dirname, 'oci-worker.mjs');

const say = (msg) => process.stderr.write(`bench: ${msg}\n`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node test/bench/startup.mjs [--runs N (20)] [--warmup N (2)] [--json]');
    process.exit(0);
  }
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) {
    throw new Error('--runs takes a whole number of at least 1, --warmup of at least 0');
  }
  return { runs, warmup, json: values.json };
}

async function measureTspod(b) {
  const row = async (name, what, args, manifest) => {
    say(`${name} (${b.opts.warmup} warm-up + ${b.opts.runs} runs)`);
    b.rows.push({ name, what, samples: await series(() => tspodRun(b.tspod, args, manifest), b.opts) });
  };
  await row('tspod run --network none', 'a pod: infra + 1 container, cgroups', ['--network', 'none'], POD);
  await row('tspod pod2 --network none', "a pod of 2 containers (issue 15's pod2)", ['--network', 'none'], POD2);
  const missing = await missingCniPlugins();
  if (missing.length > 0) {
    const where = (await cniPluginDirs()).join(':');
    b.notes.push(
      `"tspod run" on the CNI network skipped: CNI plugins ${missing.join(', ')} not in ${where} (package containernetworking-plugins)`,
    );
  } else {
    try {
      await row('tspod run', 'the same, on the CNI network "tspod"', [], POD);
      await row('tspod pod2', 'pod2 on the CNI network "tspod"', [], POD2);
    } catch (err) {
      if (isInterrupted()) throw err;
      b.problems.push(`tspod run on the CNI network failed: ${err.message}`);
    }
  }
  await row('tspod run --dry-run', 'Node start + manifest + plans, nothing run', ['--dry-run'], POD);
  await measureDetached(b);
}

/** `run -d` (each pod removed afterwards, untimed), then ps, inspect and logs of a detached pod. */
async function measureDetached(b) {
  const t = b.tspod;
  say(`tspod run -d, ps, inspect, logs (${b.opts.warmup} warm-up + ${b.opts.runs} runs each)`);
  const samples = [];
  for (let i = 0; i < b.opts.warmup + b.opts.runs; i++) {
    const name = `detached-${i}`;
    const ms = await timed(() => tspodCommand(t, ['run', '-d', '--network', 'none', '-'], sleeper(name)));
    tspodCommand(t, ['rm', '-f', name]);
    if (i >= b.opts.warmup) samples.push(ms);
  }
  b.rows.push({ name: 'tspod run -d', what: 'a detached pod of 1 container, until its start is reported', samples });
  tspodCommand(t, ['run', '-d', '--network', 'none', '-'], sleeper('idle'));
  try {
    for (const [name, args] of [
      ['tspod ps', ['ps']],
      ['tspod inspect', ['inspect', 'idle']],
      ['tspod logs', ['logs', 'idle']],
    ]) {
      b.rows.push({
        name,
        what: 'of one running detached pod',
        samples: await series(() => tspodCommand(t, args), b.opts),
      });
    }
  } finally {
    tspodCommand(t, ['rm', '-f', 'idle']);
  }
}

/** A runtime measured by oci-worker.mjs in a mount namespace without the cgroup2 mount. */
function measureWithoutCgroup2(name, stateRoot, bundles, b) {
  const job = JSON.stringify({ name, root: stateRoot, bundles, opts: b.opts, idPrefix: ID_PREFIX });
  const script = 'umount -l /sys/fs/cgroup/unified && exec "$@"';
  const r = run(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', process.execPath, WORKER, job],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const out = JSON.parse(r.stdout);
  if (out.leftovers.length > 0) b.problems.push(`${name} containers left behind (deleted): ${out.leftovers.join(' ')}`);
  if (out.error) throw new Error(out.error);
  return out.rows;
}

async function measureOci(b) {
  const present = ['runc', 'crun'].filter(has);
  for (const r of ['runc', 'crun'].filter((r) => !present.includes(r)))
    b.notes.push(`${r} is not installed: not measured`);
  if (present.length === 0) return;
  const bundles = writeBundles(path.join(b.dir, 'bundles'), b.tspod.rootfs, present[0]);
  const cgroups = cgroupMode();
  for (const name of present) {
    say(`${name} run, ${name} run ×2 (${b.opts.warmup} warm-up + ${b.opts.runs} runs each)`);
    const stateRoot = path.join(b.dir, `${name}-state`);
    let rows;
    if (name === 'crun' && cgroups.mode === 'hybrid' && cgroups.controllers.length > 0) {
      b.notes.push(
        'crun ran in a mount namespace without /sys/fs/cgroup/unified: it refuses a hybrid host whose cgroup2 ' +
          `has controllers (here: ${cgroups.controllers.join(' ')}); it used the cgroup v1 controllers, as runc does`,
      );
      rows = measureWithoutCgroup2(name, stateRoot, bundles, b);
    } else {
      const rt = runtime(name, stateRoot);
      b.runtimes.push(rt);
      rows = await measureRuntime(rt, bundles, b.opts, ID_PREFIX);
    }
    b.rows.push(...rows);
    b.references.push({ label: name, samples: rows[0].samples });
  }
}

/** Removes what is left and says what was: anything left is a problem. */
function cleanUp(b) {
  for (const rt of b.runtimes) {
    const left = removeLeftovers(rt);
    if (left.length > 0) b.problems.push(`${rt.name} containers left behind (deleted): ${left.join(' ')}`);
  }
  const cgroups = cgroupsNamed(ID_PREFIX);
  if (cgroups.length > 0) b.problems.push(`cgroups left behind: ${cgroups.join(' ')}`);
  for (const c of cgroups) {
    try {
      fs.rmdirSync(c); // a cgroup with no process in it is removed with rmdir
    } catch (err) {
      b.problems.push(`cannot remove ${c}: ${err.message}`);
    }
  }
  if (b.tspod) {
    const { root, runRoot } = b.tspod;
    const left = entriesIn([path.join(runRoot, 'pods'), path.join(runRoot, 'netns'), path.join(root, 'pods')]);
    if (left.length > 0) b.problems.push(`tspod pods left behind: ${left.join(' ')}`);
  }
  const mounts = mountsUnder(b.dir);
  if (mounts.length > 0) b.problems.push(`mounts left behind (unmounted): ${mounts.join(' ')}`);
  for (const m of mounts) spawnSync('umount', ['--lazy', m]);
  if (mountsUnder(b.dir).length > 0) {
    b.problems.push(`${b.dir} not removed: mounts remain under it`);
    return;
  }
  fs.rmSync(b.dir, { recursive: true, force: true });
}

async function main() {
  const opts = options();
  if (process.getuid() !== 0) throw new Error('run it as root: sudo make bench');
  for (const f of ['dist/cli/main.js', 'native/build/tspod.node', 'native/build/tspod-pause']) {
    if (!fs.existsSync(path.join(REPO, f))) throw new Error(`${f} is missing: run "make setup" (or make bench)`);
  }
  stopOnInterrupt();
  const b = {
    opts,
    dir: fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-')),
    rows: [],
    references: [],
    breakdown: [],
    notes: [],
    problems: [],
    runtimes: [],
  };
  try {
    say(`busybox image into ${b.dir}`);
    b.tspod = prepareTspod(b.dir);
    const image = fingerprint(b.tspod.rootfs);
    await measureTspod(b);
    await measureOci(b);
    b.breakdown = await measureBreakdown(b.tspod, opts, (name) => say(name));
    if (fingerprint(b.tspod.rootfs) !== image)
      b.problems.push(`the image's rootfs changed during the bench: ${b.tspod.rootfs}`);
  } catch (err) {
    b.problems.push(`stopped: ${err.message}`);
  } finally {
    cleanUp(b);
  }
  const result = {
    machine: machine(['runc', 'crun'].filter(has)),
    options: { runs: opts.runs, warmup: opts.warmup },
    rows: withStats(b.rows, b.references),
    references: b.references.map((r) => r.label),
    breakdown: withStats(b.breakdown, []),
    targets: targets(b.rows, b.breakdown),
    notes: b.notes,
    problems: b.problems,
  };
  if (opts.json) console.log(JSON.stringify(result, null, 2));
  else console.log(textReport(result));
  for (const p of b.problems) console.error(`bench: problem: ${p}`);
  process.exitCode = b.problems.length > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
