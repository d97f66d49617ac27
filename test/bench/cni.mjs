#!/usr/bin/env node
/**
 * `make bench`: what the CNI network adds to `tspod run`, and what the built-in network's chain
 * saves over the chain it replaced.
 *
 * The bench pod of startup.mjs (one busybox container running `true`), run in turns, so that the
 * machine's load falls alike on each variant:
 *
 *   none       --network none
 *   built-in   the built-in network "tspod": the bridge plugin alone, the network's masquerade and
 *              forward rules installed once (src/network/host-rules.ts)
 *   hostPort   the same pod with a hostPort: bridge + portmap
 *   former     the chain every pod ran before, as a configuration file: bridge with ipMasq, portmap,
 *              firewall; and `former hostPort`, with the hostPort
 *
 * For each, the median time, and the median of its differences to the `none` run of the same turn
 * (what the network costs). With strace installed, one more traced run of each counts the programs
 * the network runs: CNI plugins, iptables, ip.
 *
 * Both networks are the bench's own (subnet, bridge, lease store under its temporary directory);
 * at the end `tspod gc` removes the built-in one's rules and bridge, the former one's bridge is
 * deleted, and the bench checks that no pod, lease or rule of either is left. The firewall plugin's
 * own CNI-FORWARD and CNI-ADMIN chains are a fixture it leaves on every host it ran on.
 *
 * Usage (as root, after `make setup`): node test/bench/cni.mjs [--runs N] [--warmup N] [--json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { entriesIn } from './checks.mjs';
import { run, stopOnInterrupt, summarize, timed, isInterrupted } from './measure.mjs';
import { table } from './report.mjs';
import { cniPluginDirs, POD, prepareTspod, TSPOD } from './tspod.mjs';

const say = (msg) => process.stderr.write(`bench cni: ${msg}\n`);
const tag = process.pid.toString(16).slice(-5);
const BUILTIN = { subnet: '10.208.0.0/24', bridge: `tspbb${tag}` };
const FORMER = { name: 'tspodbench', subnet: '10.208.1.0/24', bridge: `tspbf${tag}` };
const HOST_PORT = 20000 + (process.pid % 20000);

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) {
    throw new Error('--runs takes a whole number of at least 1, --warmup of at least 0');
  }
  return { runs, warmup, json: values.json };
}

function formerConflist(ipamDir) {
  const ipam = {
    type: 'host-local',
    ranges: [[{ subnet: FORMER.subnet }]],
    routes: [{ dst: '0.0.0.0/0' }],
    dataDir: ipamDir,
  };
  return {
    cniVersion: '1.0.0',
    name: FORMER.name,
    plugins: [
      { type: 'bridge', bridge: FORMER.bridge, isGateway: true, ipMasq: true, hairpinMode: true, ipam },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'firewall' },
    ],
  };
}

/** The variants: the arguments and manifest of each run. */
function variants() {
  const withPort = JSON.parse(POD);
  withPort.spec.containers[0].ports = [{ containerPort: 80, hostPort: HOST_PORT }];
  return [
    { name: 'none', what: '--network none', args: ['--network', 'none'], pod: POD },
    { name: 'built-in', what: "bridge alone; the network's rules, installed once", args: [], pod: POD },
    { name: 'hostPort', what: 'the same with a hostPort: bridge + portmap', args: [], pod: JSON.stringify(withPort) },
    {
      name: 'former',
      what: 'the former chain: bridge ipMasq + portmap + firewall',
      args: ['--network', FORMER.name],
      pod: POD,
    },
    {
      name: 'former hostPort',
      what: 'the former chain with a hostPort',
      args: ['--network', FORMER.name],
      pod: JSON.stringify(withPort),
    },
  ];
}

function tspodRun(env, v) {
  run(TSPOD, ['run', ...v.args, '-'], { env, input: v.pod, stdio: ['pipe', 'ignore', 'pipe'] });
}

/** Programs the network ran in one traced run: CNI plugins (by name), iptables*, ip. */
function countExecs(env, v, dir, pluginDirs) {
  const out = path.join(dir, 'trace');
  run('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', out, TSPOD, 'run', ...v.args, '-'], {
    env,
    input: v.pod,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const counts = {};
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const m = /execve\("([^"]+)".*\) = 0$/.exec(line);
    if (!m) continue;
    const file = m[1];
    const name = path.basename(file);
    const plugin = pluginDirs.some((d) => path.dirname(file) === d);
    if (plugin || /^(ip6?tables(-restore|-save)?|ip)$/.test(name)) counts[name] = (counts[name] ?? 0) + 1;
  }
  fs.rmSync(out, { force: true });
  return counts;
}

async function measure(b) {
  const vs = variants();
  const samples = Object.fromEntries(vs.map((v) => [v.name, []]));
  say(`${vs.map((v) => v.name).join(', ')} in turns (${b.opts.warmup} warm-up + ${b.opts.runs} turns)`);
  for (let i = 0; i < b.opts.warmup + b.opts.runs; i++) {
    for (const v of vs) {
      if (isInterrupted()) throw new Error('interrupted');
      const ms = await timed(() => tspodRun(b.env, v));
      if (i >= b.opts.warmup) samples[v.name].push(ms);
    }
  }
  const rows = vs.map((v) => {
    const s = samples[v.name];
    const added = s.map((ms, i) => ms - samples.none[i]);
    return { name: v.name, what: v.what, ...summarize(s), added: v.name === 'none' ? null : summarize(added).median };
  });
  const hasStrace = spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status === 0;
  if (!hasStrace) b.notes.push('strace is not installed: the programs run were not counted');
  const pluginDirs = await cniPluginDirs();
  for (const row of rows) {
    if (!hasStrace || row.name === 'none') continue;
    say(`${row.name}: one run under strace`);
    row.execs = countExecs(
      b.env,
      vs.find((v) => v.name === row.name),
      b.dir,
      pluginDirs,
    );
  }
  return rows;
}

/** What of the bench's networks is still on the host. */
function leftovers(b) {
  const left = [];
  const rules = run('iptables-save', [], { stdio: ['ignore', 'pipe', 'pipe'] }).stdout.split('\n');
  left.push(
    ...rules.filter((l) => [BUILTIN.subnet, FORMER.subnet, BUILTIN.bridge, FORMER.bridge].some((s) => l.includes(s))),
  );
  for (const br of [BUILTIN.bridge, FORMER.bridge])
    if (fs.existsSync(`/sys/class/net/${br}`)) left.push(`bridge ${br}`);
  const stores = [path.join(b.ipamDir, 'tspod'), path.join(b.ipamDir, FORMER.name)];
  for (const s of stores) {
    if (!fs.existsSync(s)) continue;
    left.push(
      ...fs
        .readdirSync(s)
        .filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip'))
        .map((f) => `lease ${f}`),
    );
  }
  left.push(
    ...entriesIn([path.join(b.tspod.runRoot, 'pods'), path.join(b.tspod.runRoot, 'netns')]).map((e) => `pod ${e}`),
  );
  return left;
}

function cleanUp(b) {
  try {
    run(TSPOD, ['gc'], { env: b.env, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    b.problems.push(`tspod gc: ${err.message}`);
  }
  spawnSync('ip', ['link', 'del', FORMER.bridge], { stdio: 'ignore' });
  const left = leftovers(b);
  if (left.length > 0) b.problems.push(`left behind: ${left.join('; ')}`);
  fs.rmSync(b.dir, { recursive: true, force: true });
}

function report(result) {
  const execs = (r) =>
    r.execs
      ? Object.entries(r.execs)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')
      : '';
  const lines = result.rows.map((r) => [
    r.name,
    String(r.runs),
    r.median.toFixed(1),
    r.p90.toFixed(1),
    r.added === null ? '' : `+${r.added.toFixed(1)}`,
    r.execs ? String(Object.values(r.execs).reduce((a, n) => a + n, 0)) : '',
    r.what,
  ]);
  const out = [
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    '',
    table(['', 'runs', 'median ms', 'p90 ms', 'added ms', 'execs', 'what'], lines),
    '',
    'added ms: the median of (run − the "none" run of the same turn); execs: CNI plugins, iptables and ip run, one traced run',
    ...result.rows.filter((r) => r.execs).map((r) => `  ${r.name}: ${execs(r)}`),
    ...result.notes.map((n) => `note: ${n}`),
  ];
  return out.join('\n');
}

async function main() {
  const opts = options();
  if (process.getuid() !== 0) throw new Error('run it as root: sudo make bench');
  stopOnInterrupt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-cni-'));
  const b = { opts, dir, notes: [], problems: [], ipamDir: path.join(dir, 'ipam') };
  let rows = [];
  try {
    say(`busybox image into ${dir}`);
    b.tspod = prepareTspod(dir);
    const confDir = path.join(dir, 'net.d');
    fs.mkdirSync(confDir);
    fs.writeFileSync(path.join(confDir, `50-${FORMER.name}.conflist`), JSON.stringify(formerConflist(b.ipamDir)));
    b.env = {
      ...b.tspod.env,
      TSPOD_CNI_CONFIG_DIR: confDir,
      TSPOD_IPAM_DIR: b.ipamDir,
      TSPOD_SUBNET: BUILTIN.subnet,
      TSPOD_BRIDGE: BUILTIN.bridge,
      // the image is in the store: no registry is asked, so no name lookup adds to the times
      TSPOD_REGISTRIES_CONFIG: path.join(dir, 'registries.json'),
    };
    fs.writeFileSync(b.env.TSPOD_REGISTRIES_CONFIG, JSON.stringify({ registries: { '*': { blocked: true } } }));
    rows = await measure(b);
  } catch (err) {
    b.problems.push(`stopped: ${err.message}`);
  } finally {
    cleanUp(b);
  }
  const result = { rows, notes: b.notes, problems: b.problems };
  console.log(opts.json ? JSON.stringify(result, null, 2) : report(result));
  for (const p of b.problems) console.error(`bench cni: problem: ${p}`);
  process.exitCode = b.problems.length > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(`bench cni: ${err.message}`);
  process.exitCode = 1;
});
