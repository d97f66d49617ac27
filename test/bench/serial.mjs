/**
 * `make bench`, density's second part (issue 14): N pods (50) started one after another, detached,
 * and the same number of containers with runc and crun (`create` then `start`, detached: the
 * container's process runs on after both commands returned), on the same busybox root filesystem.
 *
 * Printed for each: the total time of the N starts, the peak memory while they ran and the memory
 * kept once they had all started, as the PSS of every process that was not there before (sampled
 * every 50 ms; the commands themselves count while they run: a `tspod run -d` is a Node process,
 * a `runc create` a Go one), and the part of it that is not the workloads' own processes (the
 * containers' `sleep`, and for tspod each pod's pause).
 *
 * crun on a hybrid cgroup host runs in a mount namespace without the cgroup2 mount, as in
 * startup.mjs (oci-worker.mjs tells why); this file is then the worker: `node serial.mjs JOB`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runtime, removeLeftovers } from './oci.mjs';

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return ''; // gone
  }
}

/**
 * Is process `pid` this bench's? On a shared host other work starts processes meanwhile: only
 * those with one of `markers` in their command line or environment (tspod's commands, supervisor
 * and monitors name the bench's directory there; runc and crun their --root), or in a cgroup whose
 * path holds one (a pod's processes are in `tspod/<uid>`, a container's in `<id>`), are counted.
 */
export function isOurs(pid, markers) {
  const cmdline = read(`/proc/${pid}/cmdline`);
  const environ = read(`/proc/${pid}/environ`);
  const cgroup = read(`/proc/${pid}/cgroup`);
  return markers.some((m) => cmdline.includes(m) || environ.includes(m) || cgroup.includes(m));
}

/** PSS (KiB) of every process of ours (`markers`) not in `before`, by pid, with its command line. */
export function newProcesses(before, markers) {
  const out = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || before.has(Number(e)) || Number(e) === process.pid) continue;
    const m = /^Pss:\s+(\d+) kB$/m.exec(read(`/proc/${e}/smaps_rollup`));
    if (m && isOurs(e, markers))
      out.set(Number(e), { pss: Number(m[1]), argv: read(`/proc/${e}/cmdline`).split('\0') });
  }
  return out;
}

export const pidsNow = () =>
  new Set(
    fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number),
  );
const total = (ps) => [...ps.values()].reduce((a, p) => a + p.pss, 0);

/** Run `cmd args` to its end, asynchronously (the sampler runs meanwhile); stdio of no pipe a process left behind could hold open. */
export function runAsync(cmd, args, { input, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'] });
    if (input !== undefined) child.stdin.end(input);
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exited with ${code ?? signal}`)),
    );
  });
}

/**
 * Time `n` calls of `startOne(i)` one after another while sampling the PSS of the new processes
 * that `markers()` names (isOurs). `own(pid)` picks the workloads' own processes from them.
 * Returns seconds and KiB.
 */
export async function measureSerial(n, startOne, own, markers) {
  const before = pidsNow();
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, total(newProcesses(before, markers())))), 50);
  const t0 = process.hrtime.bigint();
  try {
    for (let i = 0; i < n; i++) await startOne(i);
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await new Promise((r) => setTimeout(r, 1000));
  const after = newProcesses(before, markers());
  const kept = total(after);
  const ownKiB = [...after].filter(([pid, p]) => own(pid, p)).reduce((a, [, p]) => a + p.pss, 0);
  return { n, seconds, peakKiB: Math.max(peak, kept), keptKiB: kept, keptBeyondOwnKiB: kept - ownKiB };
}

/** `n` containers of the bundle's `sleep`, each created then started detached; removed after. */
export async function ociSerial(rt, bundleDir, n, idPrefix) {
  const pids = new Set();
  const pidFile = (i) => path.join(rt.root, '..', `${idPrefix}-${i}.pid`);
  try {
    return await measureSerial(
      n,
      async (i) => {
        const id = `${idPrefix}-${rt.name}-${i}`;
        await runAsync(rt.name, ['--root', rt.root, 'create', '--bundle', bundleDir, '--pid-file', pidFile(i), id]);
        pids.add(Number(fs.readFileSync(pidFile(i), 'utf8')));
        await runAsync(rt.name, ['--root', rt.root, 'start', id]);
      },
      (pid) => pids.has(pid),
      () => [rt.root, `${idPrefix}-${rt.name}-`],
    );
  } finally {
    for (let i = 0; i < n; i++) fs.rmSync(pidFile(i), { force: true });
  }
}

// As a worker (crun in a mount namespace of its own): node serial.mjs '{"name","root","bundle","n","idPrefix"}'
if (process.argv[1] === import.meta.filename) {
  const job = JSON.parse(process.argv[2]);
  const rt = runtime(job.name, job.root);
  const out = {};
  try {
    out.result = await ociSerial(rt, job.bundle, job.n, job.idPrefix);
  } catch (err) {
    out.error = err.message;
  } finally {
    out.leftovers = removeLeftovers(rt);
  }
  process.stdout.write(JSON.stringify(out));
}
