#!/usr/bin/env node
/**
 * `make bench`, second part: how fast a container's output is logged, and what it costs.
 *
 * A detached pod (`tspod run -d`) of one busybox container first writes 64 MiB of 100-byte lines
 * into a memory emptyDir (not measured: nothing goes to its stdout yet), then `cat`s that file
 * `--repeat` times to its stdout, as fast as the pipe takes it. tspod-monitor (native/monitor.c)
 * writes it to the container's CRI log file. Measured:
 *
 *   MB/s          the container's bytes (without the CRI heads) divided by the time from the first
 *                 record to the last one (each record carries the time of the read that brought it)
 *   monitor CPU   user + system seconds of the tspod-monitor process, sampled from /proc every
 *                 50 ms while it runs (the last sample before it exits: at most 50 ms are missed)
 *   supervisor    the same for the pod's supervisor, from when `run -d` returned
 *
 * No line may be lost: the log is set not to rotate (TSPOD_LOG_MAX_SIZE=8Gi) and then checked
 * whole: exactly the number of records written, each a whole 140-byte `stdout F` record of the
 * line, and no `FailedLogWrite` event. Everything lives in one temporary directory, removed at the
 * end; exit status 1 if a check fails.
 *
 * Usage (as root, after `make setup`): node test/bench/logs.mjs [--repeat N (16)] [--json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { entriesIn, mountsUnder } from './checks.mjs';
import { run } from './measure.mjs';
import { prepareTspod, TSPOD } from './tspod.mjs';

const LINE = '0123456789'.repeat(10).slice(0, 99); // 99 bytes and the newline
const LINES_PER_FILE = 671_088; // 67,108,800 bytes: 64 MiB
const RECORD = 40 + LINE.length + 1; // "<30-byte time> stdout F " + the line + "\n"
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100; // /proc's clock ticks per second

const say = (msg) => process.stderr.write(`bench: ${msg}\n`);

function options() {
  const { values } = parseArgs({
    options: { repeat: { type: 'string', default: '16' }, json: { type: 'boolean', default: false } },
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat takes a whole number of at least 1');
  return { repeat, json: values.json };
}

function pod(repeat) {
  const script = `yes ${LINE} | head -n ${LINES_PER_FILE} > /data/lines && for i in $(seq ${repeat}); do cat /data/lines; done`;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'logbench' },
    spec: {
      restartPolicy: 'Never',
      volumes: [{ name: 'data', emptyDir: { medium: 'Memory' } }],
      containers: [
        {
          name: 'chatty',
          image: 'busybox',
          command: ['sh', '-c', script],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
    },
  });
}

/** user + system seconds of a process, undefined once it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK; // fields 14 and 15: utime, stime
  } catch {
    return undefined;
  }
}

/** The tspod-monitor writing `logFile`. */
function findMonitor(logFile) {
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('tspod-monitor') && argv[2] === logFile) return Number(e);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Sample the CPU of the processes every 50 ms until `done()`; the last value seen of each. */
async function sampleUntil(pids, done) {
  const last = new Map();
  for (;;) {
    for (const [name, pid] of Object.entries(pids)) {
      const s = pid !== undefined ? cpuSeconds(pid) : undefined;
      if (s !== undefined) last.set(name, s);
    }
    if (done()) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every record whole and of the line; the time of the first and the last. */
function checkLog(file, expectedLines) {
  const problems = [];
  const size = fs.statSync(file).size;
  if (size !== expectedLines * RECORD)
    problems.push(`the log has ${size} bytes, not ${expectedLines * RECORD} (${expectedLines} records of ${RECORD})`);
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(RECORD * 8192);
  const tail = Buffer.from(` stdout F ${LINE}\n`, 'latin1');
  let first;
  let lastRec;
  let bad = 0;
  for (let off = 0; ;) {
    const n = fs.readSync(fd, buf, 0, buf.length, off);
    if (n <= 0) break;
    for (let r = 0; r + RECORD <= n; r += RECORD) {
      if (buf.compare(tail, 0, tail.length, r + 30, r + RECORD) !== 0) bad++;
    }
    if (first === undefined) first = buf.toString('latin1', 0, 30);
    if (n >= RECORD) lastRec = buf.toString('latin1', n - RECORD, n - RECORD + 30);
    off += n;
  }
  fs.closeSync(fd);
  if (bad > 0) problems.push(`${bad} records are not whole "stdout F <line>" records`);
  const ns = (t) => BigInt(Date.parse(t.slice(0, 19) + 'Z')) * 1_000_000n + BigInt(t.slice(20, 29));
  return { problems, seconds: first && lastRec ? Number(ns(lastRec) - ns(first)) / 1e9 : NaN };
}

async function main() {
  const o = options();
  if (process.getuid() !== 0) throw new Error('run it as root: sudo make bench');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-logbench-'));
  const problems = [];
  let result;
  try {
    say(`busybox image into ${dir}`);
    const t = prepareTspod(dir);
    const env = { ...t.env, TSPOD_LOG_MAX_SIZE: '8Gi' };
    const logFile = path.join(t.root, 'pods', 'logbench', 'logs', 'chatty', '0.log');
    say(`a container writing ${o.repeat} × 64 MiB of 100-byte lines, logged by tspod-monitor`);
    run(TSPOD, ['run', '-d', '--network', 'none', '-'], {
      env,
      input: pod(o.repeat),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const state = JSON.parse(fs.readFileSync(path.join(t.runRoot, 'pods', 'logbench', 'state.json'), 'utf8'));
    const pids = { supervisor: state.supervisor.pid, monitor: findMonitor(logFile) };
    if (pids.monitor === undefined) problems.push(`no tspod-monitor found for ${logFile}`);
    const before = { supervisor: cpuSeconds(pids.supervisor) ?? 0 };
    const ended = () => {
      try {
        const s = JSON.parse(fs.readFileSync(path.join(t.runRoot, 'pods', 'logbench', 'state.json'), 'utf8'));
        return s.status.phase === 'Succeeded' || s.status.phase === 'Failed';
      } catch {
        return false;
      }
    };
    const cpu = await sampleUntil(
      pids,
      () => ended() && (pids.monitor === undefined || cpuSeconds(pids.monitor) === undefined),
    );
    const lines = o.repeat * LINES_PER_FILE;
    const check = checkLog(logFile, lines);
    problems.push(...check.problems);
    const events = run(TSPOD, ['events', 'logbench'], { env, stdio: ['ignore', 'pipe', 'pipe'] }).stdout;
    if (/FailedLogWrite/.test(events)) problems.push('lines were dropped (FailedLogWrite)');
    const bytes = lines * (LINE.length + 1);
    result = {
      bytes,
      lines,
      seconds: check.seconds,
      mbPerSecond: bytes / 1e6 / check.seconds,
      monitorCpuSeconds: cpu.get('monitor'),
      supervisorCpuSeconds: (cpu.get('supervisor') ?? before.supervisor) - before.supervisor,
    };
    run(TSPOD, ['rm', '-f', 'logbench'], { env });
    const left = entriesIn([path.join(t.runRoot, 'pods'), path.join(t.root, 'pods')]);
    if (left.length > 0) problems.push(`tspod pods left behind: ${left.join(' ')}`);
  } catch (err) {
    problems.push(`stopped: ${err.message}`);
  } finally {
    const mounts = mountsUnder(dir);
    if (mounts.length > 0) problems.push(`mounts left behind: ${mounts.join(' ')}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) console.log(JSON.stringify({ ...result, problems }, null, 2));
  else if (result) {
    const f = (x, d = 2) => (x === undefined || Number.isNaN(x) ? '?' : x.toFixed(d));
    console.log(
      `\nlogging a container's output (tspod-monitor, detached pod, ${(result.bytes / 2 ** 20).toFixed(0)} MiB of 100-byte lines)`,
    );
    console.log(
      `  ${f(result.mbPerSecond, 0)} MB/s   ${result.lines} lines in ${f(result.seconds)} s, none dropped${problems.length ? ' (see problems)' : ''}`,
    );
    console.log(
      `  tspod-monitor CPU ${f(result.monitorCpuSeconds)} s (${f((100 * result.monitorCpuSeconds) / result.seconds, 0)}% of a core while logging)`,
    );
    console.log(`  supervisor CPU    ${f(result.supervisorCpuSeconds)} s`);
  }
  for (const p of problems) console.error(`bench: problem: ${p}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
