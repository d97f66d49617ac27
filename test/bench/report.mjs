/**
 * The machine a result came from, and the tables the bench prints.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarize } from './measure.mjs';
import { REPO } from './tspod.mjs';

/** cgroup layout: unified (cgroup2 only), hybrid (v1 controllers + a cgroup2 mount) or legacy (v1). */
export function cgroupMode() {
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ target: line.split(' ')[4], fstype: line.split(' - ')[1]?.split(' ')[0] }));
  const fstypeAt = (target) => mounts.filter((m) => m.target === target).at(-1)?.fstype;
  const v1 = mounts.filter((m) => m.fstype === 'cgroup').length;
  if (fstypeAt('/sys/fs/cgroup') === 'cgroup2') return { mode: 'unified', text: 'unified (cgroup2 only)' };
  if (fstypeAt('/sys/fs/cgroup/unified') !== 'cgroup2')
    return { mode: 'legacy', text: `legacy (${v1} v1 hierarchies)` };
  const controllers = fs
    .readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const text = `hybrid (${v1} v1 hierarchies + cgroup2 at /sys/fs/cgroup/unified, its controllers: ${controllers.join(' ') || 'none'})`;
  return { mode: 'hybrid', controllers, text };
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : undefined;
}

export function machine(runtimes) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    cgroups: cgroupMode().text,
    tspod: JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version,
    ...Object.fromEntries(runtimes.map((r) => [r, firstLine(r, ['--version'])])),
  };
}

/**
 * Each row with its statistics and its median divided by each reference's median
 * (references: [{label: 'runc', samples}], one per OCI runtime measured).
 */
export function withStats(rows, references) {
  return rows.map((row) => {
    const stats = summarize(row.samples);
    const ratios = Object.fromEntries(
      references.map((ref) => [ref.label, stats.median / summarize(ref.samples).median]),
    );
    const round = (x) => Math.round(x * 1000) / 1000;
    const rounded = Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, round(v)]));
    return { name: row.name, what: row.what, ...rounded, ratios, samples: row.samples.map(round) };
  });
}

/** A plain-text table: left-aligned first and last columns, the numbers right-aligned. */
export function table(headers, lines) {
  const widths = headers.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const last = headers.length - 1;
  const fmt = (cells) =>
    cells
      .map((c, i) => (i === 0 || i === last ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(headers), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/**
 * Issue 15's targets, from this run's medians: pod2 within 2.0× crun's pod2 (2.5× on CNI), tspod's
 * own cost (pod2 − `node -e 0`) within crun's whole pod2, and run -d, ps, inspect and logs each
 * within 1.5× `node -e 0`. Absent rows (no crun, no CNI plugins) leave their targets out.
 */
export function targets(rows, breakdown) {
  const median = (name) => {
    const r = [...rows, ...breakdown].find((x) => x.name === name);
    return r ? summarize(r.samples).median : undefined;
  };
  const node = median('node -e 0');
  const crunPod = median('crun pod2');
  const out = [];
  const add = (what, value, limit) =>
    value !== undefined &&
    !Number.isNaN(value) &&
    out.push({ what, ratio: Math.round(value * 100) / 100, limit, met: value <= limit });
  add('tspod pod2 --network none ÷ crun pod2', median('tspod pod2 --network none') / crunPod, 2.0);
  add(
    "tspod's own cost (pod2 --network none − node -e 0) ÷ crun pod2",
    (median('tspod pod2 --network none') - node) / crunPod,
    1.0,
  );
  add('tspod pod2 (CNI) ÷ crun pod2', median('tspod pod2') / crunPod, 2.5);
  for (const c of ['run -d', 'ps', 'inspect', 'logs']) add(`tspod ${c} ÷ node -e 0`, median(`tspod ${c}`) / node, 1.5);
  return out;
}

/** The text report: machine, main table with ratios, breakdown, targets, notes. */
export function textReport({ machine: m, rows, references, breakdown, targets: goals = [], notes }) {
  const ms = (x) => x.toFixed(1);
  const refNames = references;
  const out = [
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}`,
    `cgroups: ${m.cgroups}`,
    `load average at the end: ${m.loadAverage.join(' ')} (other work on the machine shows up in the times, less in the ratios)`,
    `tspod ${m.tspod}` +
      ['runc', 'crun']
        .filter((r) => m[r])
        .map((r) => `; ${m[r]}`)
        .join(''),
    '',
    table(
      ['', 'runs', 'median ms', 'mean ms', 'p90 ms', ...refNames.map((n) => `÷ ${n}`), 'what'],
      rows.map((r) => [
        r.name,
        String(r.runs),
        ms(r.median),
        ms(r.mean),
        ms(r.p90),
        ...refNames.map((n) => `${r.ratios[n].toFixed(1)}×`),
        r.what,
      ]),
    ),
  ];
  if (refNames.length) {
    out.push(
      '',
      `${refNames.map((n) => `÷ ${n}`).join(', ')}: the row's median divided by the median of "${refNames[0]} run"` +
        (refNames.length > 1 ? ` (resp. "${refNames[1]} run")` : '') +
        ', measured in this same run.',
    );
  }
  if (breakdown.length) {
    out.push('', 'where the time goes:', '');
    out.push(
      table(
        ['', 'runs', 'median ms', 'mean ms', 'p90 ms', 'what'],
        breakdown.map((r) => [r.name, String(r.runs), ms(r.median), ms(r.mean), ms(r.p90), r.what]),
      ),
    );
  }
  if (goals.length) {
    out.push('', "issue 15's targets, from this run's medians:", '');
    out.push(
      table(
        ['', 'ratio', 'target', 'met'],
        goals.map((g) => [g.what, `${g.ratio.toFixed(2)}×`, `≤ ${g.limit.toFixed(1)}×`, g.met ? 'yes' : 'no']),
      ),
    );
  }
  if (notes.length) out.push('', ...notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
