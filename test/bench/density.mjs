#!/usr/bin/env node
/**
 * `make bench`, third part: what a running detached pod costs the host in memory (issue 14).
 *
 * `--pods` detached pods (20) of one busybox `sleep` each are started one after another with
 * `tspod run -d --network none`; the total time is printed. Then the PSS (proportional set size:
 * each shared page divided among the processes sharing it, so the sum over processes is the memory
 * really used) of every process on the host is summed from /proc/PID/smaps_rollup, and compared
 * with the sum before the first pod. Printed per pod: what tspod's new processes keep resident,
 * by kind (the one Node supervisor of all detached pods, its share: its PSS divided by the pods;
 * its monitor `tspod-monitor host`; the log monitors `tspod-monitor log`), the pods' own processes
 * (pause, sleep), and the host's whole growth less the pods' own (which on a shared host also
 * counts whatever else started meanwhile). The target of issue 14 is at most 2 MiB per pod.
 *
 * Then serial.mjs's part: `--serial` pods (50) started one after another with `run -d`, and as many
 * containers created and started detached by runc and crun: total time, peak and kept memory.
 *
 * Everything lives in one temporary directory, removed at the end (the pods with `rm -f`).
 *
 * Usage (as root, after `make setup`): node test/bench/density.mjs [--pods N (20)] [--serial N (50)] [--json]
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { entriesIn, mountsUnder } from './checks.mjs';
import { run } from './measure.mjs';
import { prepareTspod, TSPOD } from './tspod.mjs';
import { spawnSync } from 'node:child_process';
import { removeLeftovers, runtime, writeBundles } from './oci.mjs';
import { cgroupMode } from './report.mjs';
import { isOurs, measureSerial, ociSerial, runAsync } from './serial.mjs';

const SERIAL = path.join(import.meta.dirname, 'serial.mjs');

const say = (msg) => process.stderr.write(`bench: ${msg}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      pods: { type: 'string', default: '20' },
      serial: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
    },
  });
  const pods = Number(values.pods);
  if (!Number.isInteger(pods) || pods < 1) throw new Error('--pods takes a whole number of at least 1');
  const serial = Number(values.serial);
  if (!Number.isInteger(serial) || serial < 0) throw new Error('--serial takes a whole number');
  return { pods, serial, json: values.json };
}

/** Each pod's uid, chosen here: its processes are found by it (in their cgroup `tspod/<uid>`). */
const uids = new Map();
const manifest = (name) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, uid: uids.set(name, randomUUID()).get(name) },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '100000'] }] },
  });

/** PSS in KiB of every process, with its command line. */
function processes() {
  const out = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const m = /^Pss:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${e}/smaps_rollup`, 'utf8'));
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (m) out.set(Number(e), { pss: Number(m[1]), argv });
    } catch {
      // gone, or a kernel thread
    }
  }
  return out;
}

const sum = (ps) => [...ps].reduce((a, p) => a + p.pss, 0);

async function main() {
  const o = options();
  if (process.getuid() !== 0) throw new Error('run it as root: sudo make bench');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-density-'));
  const problems = [];
  let result;
  const names = Array.from({ length: o.pods }, (_, i) => `dense-${i}`);
  let t;
  try {
    say(`busybox image into ${dir}`);
    t = prepareTspod(dir);
    const before = processes();
    say(`${o.pods} detached pods of one sleep, one after another`);
    const start = process.hrtime.bigint();
    for (const name of names)
      run(TSPOD, ['run', '-d', '--network', 'none', '-'], {
        env: t.env,
        input: manifest(name),
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage be collected
    const after = processes();
    // The pods' own processes: each pod's infra and containers, from its state.
    const own = new Set();
    for (const name of names) {
      const s = JSON.parse(fs.readFileSync(path.join(t.runRoot, 'pods', name, 'state.json'), 'utf8'));
      if (s.infra) own.add(s.infra.pid);
      for (const c of Object.values(s.containers)) if (c.process) own.add(c.process.pid);
    }
    const grown = sum(after.values()) - sum(before.values());
    const added = [...after].filter(([pid]) => !before.has(pid));
    const kind = (argv) =>
      argv.includes('__supervise') && !argv[0].endsWith('tspod-monitor')
        ? 'supervisor'
        : argv[0].endsWith('tspod-monitor')
          ? `monitor ${argv[1]}`
          : 'other';
    const parts = {};
    for (const [pid, p] of added) {
      // (what names neither the bench's directory nor one of its pods is other work on the host)
      const k = own.has(pid) ? 'pods' : isOurs(pid, [dir]) ? kind(p.argv) : 'other';
      parts[k] = (parts[k] ?? 0) + p.pss;
    }
    // What tspod keeps: its processes that were not there before. The host's growth less the pods'
    // own processes is printed too; on a busy host it also holds whatever else started meanwhile.
    const tspodKiB = Object.entries(parts)
      .filter(([k]) => k === 'supervisor' || k.startsWith('monitor'))
      .reduce((a, [, v]) => a + v, 0);
    result = {
      pods: o.pods,
      startSeconds: seconds,
      perPodKiB: tspodKiB / o.pods,
      hostGrowthPerPodKiB: (grown - (parts.pods ?? 0)) / o.pods,
      partsPerPodKiB: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v / o.pods])),
    };
    run(TSPOD, ['rm', '-f', ...names], { env: t.env });
    // The supervisor leaves a moment after its last pod: the serial part starts (and counts) its own.
    await supervisorGone(t.runRoot);
    if (o.serial > 0) result.serial = await serialRuns(o.serial, t, dir, problems);
  } catch (err) {
    problems.push(`stopped: ${err.message}`);
  } finally {
    if (t) {
      try {
        const left = fs.existsSync(path.join(t.runRoot, 'pods')) ? fs.readdirSync(path.join(t.runRoot, 'pods')) : [];
        if (left.length > 0) run(TSPOD, ['rm', '-f', ...left], { env: t.env });
      } catch (err) {
        problems.push(`rm -f: ${err.message}`);
      }
      const left = entriesIn([path.join(t.runRoot, 'pods'), path.join(t.root, 'pods')]);
      if (left.length > 0) problems.push(`tspod pods left behind: ${left.join(' ')}`);
    }
    const mounts = mountsUnder(dir);
    if (mounts.length > 0) problems.push(`mounts left behind: ${mounts.join(' ')}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) console.log(JSON.stringify({ ...result, problems }, null, 2));
  else if (result) {
    const mib = (k) => `${(k / 1024).toFixed(2)} MiB`;
    console.log(`\nmemory of ${result.pods} detached pods of one sleep (PSS; target of issue 14: 2 MiB per pod)`);
    console.log(
      `  ${mib(result.perPodKiB)} per pod kept resident by tspod's processes; ${result.pods} pods started one after another in ${result.startSeconds.toFixed(1)} s`,
    );
    const what = {
      supervisor: 'the Node supervisor of all detached pods (its share)',
      'monitor host': 'tspod-monitor host (exit records; one for all pods)',
      'monitor pod': 'tspod-monitor pod (a per-pod monitor of an older tspod)',
      'monitor log': 'tspod-monitor log (one per container)',
      pods: "the pods' own processes (pause, sleep)",
      other: 'other processes started meanwhile (not tspod)',
    };
    const order = ['supervisor', 'monitor host', 'monitor pod', 'monitor log', 'pods', 'other'];
    const parts = Object.entries(result.partsPerPodKiB).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    for (const [k, v] of parts) console.log(`    ${mib(v).padStart(10)}  ${what[k] ?? k}`);
    console.log(
      `  the host's PSS grew by ${mib(result.hostGrowthPerPodKiB)} per pod beyond the pods' own processes (with the rest of the host)`,
    );
    if (result.serial) printSerial(result.serial);
  }
  for (const p of problems) console.error(`bench: problem: ${p}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

async function supervisorGone(runRoot) {
  const marker = `--run-root\0${runRoot}\0__supervise`;
  const live = () =>
    fs.readdirSync('/proc').some(
      (e) =>
        /^\d+$/.test(e) &&
        (() => {
          try {
            return (
              fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker) &&
              !fs.readFileSync(`/proc/${e}/stat`, 'utf8').includes(') Z')
            );
          } catch {
            return false;
          }
        })(),
    );
  for (let i = 0; i < 100 && live(); i++) await new Promise((r) => setTimeout(r, 100));
  if (live()) throw new Error('the supervisor did not leave after its last pod');
}

/** The serial part (serial.mjs): tspod, then runc and crun, on the same rootfs. */
async function serialRuns(n, t, dir, problems) {
  say(`${n} detached pods one after another, then ${n} runc and crun containers (create + start)`);
  const names = Array.from({ length: n }, (_, i) => `serial-${i}`);
  const rows = [];
  const ownOf = new Set();
  let tspodRow;
  try {
    tspodRow = await measureSerial(
      n,
      (i) => runAsync(TSPOD, ['run', '-d', '--network', 'none', '-'], { env: t.env, input: manifest(names[i]) }),
      (pid) => {
        if (ownOf.size === 0) {
          for (const name of names) {
            const s = JSON.parse(fs.readFileSync(path.join(t.runRoot, 'pods', name, 'state.json'), 'utf8'));
            if (s.infra) ownOf.add(s.infra.pid);
            for (const c of Object.values(s.containers)) if (c.process) ownOf.add(c.process.pid);
          }
        }
        return ownOf.has(pid);
      },
      () => [dir, ...names.map((x) => uids.get(x)).filter(Boolean)],
    );
  } finally {
    run(TSPOD, ['rm', '-f', ...names.filter((x) => fs.existsSync(path.join(t.runRoot, 'pods', x)))], { env: t.env });
  }
  rows.push({ name: 'tspod run -d', what: 'a pod: pause + sleep, under the one supervisor', ...tspodRow });
  const present = ['runc', 'crun'].filter((r) => spawnSync('sh', ['-c', `command -v ${r}`]).status === 0);
  if (present.length === 0) return rows;
  const bundles = writeBundles(path.join(dir, 'bundles'), t.rootfs, present[0]);
  const cgroups = cgroupMode();
  for (const name of present) {
    const root = path.join(dir, `${name}-state`);
    let r;
    if (name === 'crun' && cgroups.mode === 'hybrid' && cgroups.controllers.length > 0) {
      // (as in startup.mjs: crun 1.8 refuses a hybrid host whose cgroup2 has controllers)
      const job = JSON.stringify({ name, root, bundle: bundles.holder, n, idPrefix: 'tspod-density' });
      const out = spawnSync(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          'sh',
          '-c',
          'umount -l /sys/fs/cgroup/unified && exec "$@"',
          'sh',
          process.execPath,
          SERIAL,
          job,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const parsed = JSON.parse(out.stdout || '{}');
      // (the worker deletes the n containers it started: any other is a leftover)
      if ((parsed.leftovers?.length ?? 0) !== n)
        problems.push(`${name}: ${parsed.leftovers?.length ?? 0} of ${n} containers found to delete`);
      if (parsed.error || !parsed.result) throw new Error(`${name}: ${parsed.error ?? out.stderr}`);
      r = parsed.result;
    } else {
      const rt = runtime(name, root);
      try {
        r = await ociSerial(rt, bundles.holder, n, 'tspod-density');
      } finally {
        const left = removeLeftovers(rt);
        if (left.length !== n) problems.push(`${name}: ${left.length} of ${n} containers found to delete`);
      }
    }
    rows.push({ name: `${name} create + start`, what: 'a container: sleep', ...r });
  }
  return rows;
}

function printSerial(rows) {
  const mib = (k) => `${(k / 1024).toFixed(1)} MiB`;
  console.log(`\n${rows[0].n} started one after another, detached (PSS of every new process, sampled every 50 ms)`);
  console.log(
    `  ${'what'.padEnd(22)} ${'total s'.padStart(8)} ${'ms each'.padStart(8)} ${'÷ runc'.padStart(7)} ${'÷ crun'.padStart(7)} ${'peak'.padStart(10)} ${'kept'.padStart(10)} ${'kept - own'.padStart(11)}`,
  );
  const ref = (n) => rows.find((r) => r.name.startsWith(n))?.seconds;
  for (const r of rows) {
    const ratio = (n) => (ref(n) ? `${(r.seconds / ref(n)).toFixed(1)}×` : '-');
    console.log(
      `  ${r.name.padEnd(22)} ${r.seconds.toFixed(2).padStart(8)} ${((r.seconds * 1000) / r.n).toFixed(0).padStart(8)} ${ratio('runc').padStart(7)} ${ratio('crun').padStart(7)} ${mib(r.peakKiB).padStart(10)} ${mib(r.keptKiB).padStart(10)} ${mib(r.keptBeyondOwnKiB).padStart(11)}  ${r.what}`,
    );
  }
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
