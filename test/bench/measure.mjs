/**
 * Timing and statistics for the startup benchmark.
 *
 * A sample is the wall-clock time of one call, from `process.hrtime` before it to `process.hrtime`
 * after it; for a command that is from before fork to after its exit status is collected
 * (`spawnSync` returns only then), so a command's own start and teardown are both inside it. Each
 * series starts with a few unrecorded warm-up calls (page cache, lazily created host state such as
 * a bridge or a cgroup parent), then records `runs` calls one after the other.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

let interrupted = false;
/** Ctrl-C: stop at the end of the current call and go on to the clean-up (the children get it too). */
export function stopOnInterrupt() {
  const stop = () => {
    interrupted = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export function isInterrupted() {
  return interrupted;
}

function checkInterrupted() {
  if (interrupted) throw new Error('interrupted');
}

/** Milliseconds taken by `fn` (awaited when it returns a promise). */
export async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `fn(i)` `warmup` times unrecorded, then `runs` times; returns the recorded milliseconds. */
export async function series(fn, { runs, warmup }) {
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    checkInterrupted();
    const ms = await timed(() => fn(i));
    if (i >= warmup) samples.push(ms);
  }
  return samples;
}

/**
 * Runs a command to completion; throws with its stderr when it fails. `stderrFile`: send its stderr
 * to that file instead of a pipe, for a command that leaves a process behind (spawnSync would wait
 * for that process to close the pipe).
 */
export function run(cmd, args, { stderrFile, ...options } = {}) {
  const stderr = stderrFile ? fs.openSync(stderrFile, 'w') : 'pipe';
  let r;
  try {
    r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', stderr], encoding: 'utf8', ...options });
  } finally {
    if (stderrFile) fs.closeSync(stderr);
  }
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) {
    const how = r.status === null ? `signal ${r.signal}` : `status ${r.status}`;
    const said = (stderrFile ? fs.readFileSync(stderrFile, 'utf8') : (r.stderr ?? '')).trim();
    throw new Error(`${cmd} ${args.join(' ')}: exited with ${how}${said ? `\n${said}` : ''}`);
  }
  return r;
}

/** median, mean and p90 (nearest rank) of a list of milliseconds. */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const p90 = s[Math.ceil(0.9 * n) - 1];
  return { runs: n, median, mean, p90, min: s[0], max: s[n - 1] };
}
