/**
 * What a test's pods may leave on the host, looked at only through what the test itself made, so
 * that pods of other test runs on the same machine (other files, other checkouts) never count:
 * processes in the cgroups of its pod uids or started with its run root, mounts that name its
 * roots, the pod uids' cgroups in every hierarchy (the cgroup v1 controllers and the cgroup2
 * mount), the ports of its own CNI bridge, the leases in its own host-local store, the iptables
 * rules that name its network or subnet, and the files under its roots. A snapshot is plain data,
 * so a failed comparison prints exactly what was left.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cgroupsOf, type TestRoots } from './helpers.js';

const run = promisify(execFile);

/** A CNI network of the test's own: its bridge, subnet and host-local store belong to nobody else. */
export interface OwnNetwork {
  name: string;
  bridge: string;
  subnet: string;
  ipamDir: string;
}

export interface HostSnapshot {
  processes: string[];
  mounts: string[];
  cgroups: string[];
  bridgePorts: string[];
  leases: string[];
  iptables: string[];
  files: string[];
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback; // the process ended while we looked
  }
}

/**
 * Processes of these pods or of this test's tspod commands: in a cgroup `tspod/<uid>` of one of the
 * uids (every pod process joins its pod cgroup first, the infra's /pause included, and a populated
 * cgroup cannot be removed, so a stray /pause is always found here), or with the run root in its
 * environment (the CLI and the supervisors the test started). Described as "pid cmdline".
 */
export function ownProcesses(roots: TestRoots, uids: readonly string[]): string[] {
  const marks = uids.map((u) => `/tspod/${u}`);
  const envMark = `TSPOD_RUN_ROOT=${roots.runRoot}\0`;
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    const cgroup = readOr(`/proc/${pid}/cgroup`, '');
    const env = readOr(`/proc/${pid}/environ`, '');
    if (marks.some((m) => cgroup.includes(m)) || env.includes(envMark)) {
      const cmd = readOr(`/proc/${pid}/cmdline`, '').replaceAll('\0', ' ').trim();
      found.push(`${pid} ${cmd}`);
    }
  }
  return found;
}

/** Mount table lines (/proc/self/mountinfo) that name the test's directory or one of its pod uids. */
export function ownMounts(roots: TestRoots, uids: readonly string[]): string[] {
  const set = new Set(uids);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(roots.dir) || [...set].some((u) => l.includes(u)));
}

/** Every regular file, directory and link under the roots (paths relative to the test directory). */
export function filesUnder(roots: TestRoots): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      out.push(path.relative(roots.dir, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) walk(p);
    }
  };
  for (const d of [roots.root, roots.runRoot]) if (fs.existsSync(d)) walk(d);
  return out.sort();
}

async function bridgePorts(net: OwnNetwork | undefined): Promise<string[]> {
  if (!net) return [];
  // The bridge exists once the first pod was attached; before that it has no ports at all.
  const links = await run('ip', ['-j', 'link', 'show', 'master', net.bridge]).catch(() => ({ stdout: '[]' }));
  return (JSON.parse(links.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname).sort();
}

/** host-local's lease files (one per address, named by it); its `lock` and `last_reserved_ip.*` are bookkeeping. */
function leases(net: OwnNetwork | undefined): string[] {
  if (!net) return [];
  const dir = path.join(net.ipamDir, net.name);
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip'))
        .sort()
    : [];
}

async function iptablesRules(net: OwnNetwork | undefined): Promise<string[]> {
  if (!net) return [];
  const prefix = net.subnet.split('.').slice(0, 3).join('.') + '.';
  const rules = (await run('iptables-save')).stdout.split('\n');
  return rules.filter((l) => l.includes(net.name) || l.includes(prefix));
}

export async function snapshot(roots: TestRoots, uids: readonly string[], net?: OwnNetwork): Promise<HostSnapshot> {
  return {
    processes: ownProcesses(roots, uids),
    mounts: ownMounts(roots, uids),
    cgroups: uids.flatMap((u) => cgroupsOf(u)),
    bridgePorts: await bridgePorts(net),
    leases: leases(net),
    iptables: await iptablesRules(net),
    files: filesUnder(roots),
  };
}

/** The number of open file descriptors of a process. */
export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** What each open fd of a process refers to (for a readable failure). */
export function fdTargets(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => `${fd} -> ${readLink(`/proc/${pid}/fd/${fd}`)}`);
}

function readLink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '(closed)';
  }
}
