/**
 * The built-in network's host rules: masquerade and forward, installed once per network.
 *
 * A pod's address (10.203.x.y) means nothing outside the host. For its packets to the world to get
 * answers, the host rewrites their source to its own address as they leave (netfilter's `nat`
 * table, `POSTROUTING` chain, target `MASQUERADE`); conntrack remembers each rewritten connection
 * and undoes the rewrite on the replies, so only a connection's first packet walks the rules.
 * Packets the host routes between the pods' bridge and its other interfaces also cross the
 * `filter` table's `FORWARD` chain, whose policy may be DROP (Docker leaves it so): the pods'
 * traffic, and the replies to it, are accepted there.
 *
 * The bridge plugin's `ipMasq` and the firewall plugin install such rules *per pod*, a dozen
 * iptables commands for each ADD and DEL, each a netfilter transaction (about 15 ms here). Every
 * pod of the network needs the same two rules for the whole subnet, so tspod installs them once,
 * in two chains of its own (`TSPOD-MASQ-<id>` jumped to from POSTROUTING, `TSPOD-FWD-<id>` from
 * FORWARD), with one `iptables-restore` that is a single transaction. They are a host fixture, as
 * the bridge and the CNI plugins' own chains are: kept when the last pod leaves, checked (two
 * `iptables -C`, no transaction) at each attach, reinstalled when something flushed them, and
 * removed by `tspod gc` when no pod is on the network (`removeHostRules`).
 *
 * "No pod is on the network" is read from host-local's lease store: a lease file per address in
 * use. Taking the lease (ADD) and removing the rules must not interleave, so both hold a flock(2)
 * on the store's directory: an attach holds it shared from its check of the rules until its ADD
 * is done (attaches do not wait for each other); installing and removing hold it exclusively.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { kernel } from '../kernel.js';
import { systemPath } from './exec.js';
import type { HostRules } from './types.js';

export type { HostRules };

/** Where host-local keeps leases when the configuration names no `dataDir`. */
export const DEFAULT_IPAM_DIR = '/var/lib/cni/networks';
const MULTICAST = '224.0.0.0/4';

/** A rule as iptables takes it: table, chain, and the rest of the arguments. */
interface Rule {
  table: 'nat' | 'filter';
  chain: string;
  spec: string[];
}

/** The iptables work, as a seam (the real one runs the commands; unit tests record). */
export interface IptablesOps {
  /** `iptables -w ARGS`: its exit status (for `-C`, 0 when the rule exists) */
  iptables(args: string[]): Promise<number>;
  /** `iptables-restore -w --noflush` of INPUT, one transaction; throws on failure */
  restore(input: string): Promise<void>;
  /** `iptables-save` of the tables the rules use */
  save(): Promise<string>;
  /** `ip link del NAME` */
  deleteLink(name: string): Promise<void>;
}

/**
 * The chains' suffix: the same network name, subnet, bridge and lease store always give the same
 * chains, and two of them (a TSPOD_SUBNET or TSPOD_IPAM_DIR changed) never share one.
 */
export function rulesId(r: HostRules): string {
  return createHash('sha256')
    .update(JSON.stringify([r.network, r.subnet, r.bridge, r.leaseDir]))
    .digest('hex')
    .slice(0, 12);
}

export function chainNames(r: HostRules): { masq: string; forward: string } {
  const id = rulesId(r);
  return { masq: `TSPOD-MASQ-${id}`, forward: `TSPOD-FWD-${id}` }; // iptables allows 28 characters
}

function comment(r: HostRules): string[] {
  return ['-m', 'comment', '--comment', `tspod network ${r.network} ${r.subnet} on ${r.bridge}`];
}

/** The two jumps into tspod's chains: their presence is what `-C` checks. */
export function jumps(r: HostRules): Rule[] {
  const c = chainNames(r);
  return [
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', r.subnet, ...comment(r), '-j', c.masq] },
    { table: 'filter', chain: 'FORWARD', spec: [...comment(r), '-j', c.forward] },
  ];
}

/** What each chain holds. */
function chainRules(r: HostRules): Rule[] {
  const c = chainNames(r);
  return [
    // Between pods (and to the bridge's own address): no rewriting, they reach each other as they are.
    { table: 'nat', chain: c.masq, spec: ['-d', r.subnet, ...comment(r), '-j', 'RETURN'] },
    // Multicast stays on the link; everything else leaves with the host's address.
    { table: 'nat', chain: c.masq, spec: ['!', '-d', MULTICAST, ...comment(r), '-j', 'MASQUERADE'] },
    // From the pods, to anywhere; and the replies to what they started.
    { table: 'filter', chain: c.forward, spec: ['-i', r.bridge, '-s', r.subnet, '-j', 'ACCEPT'] },
    {
      table: 'filter',
      chain: c.forward,
      spec: ['-o', r.bridge, '-d', r.subnet, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    },
  ];
}

/** An argument as iptables-restore reads it: quoted when it holds a space. */
function word(arg: string): string {
  return /^[^\s"']+$/.test(arg) ? arg : `"${arg.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * iptables-restore input installing the rules of `tables`: each chain declared (created, or
 * emptied if it is there) and filled, then its jump added. The FORWARD jump goes first in its chain,
 * as the firewall plugin puts its own, ahead of any catch-all REJECT of the host's firewall.
 */
export function installInput(r: HostRules, tables: Rule['table'][] = ['nat', 'filter']): string {
  const c = chainNames(r);
  const lines: string[] = [];
  for (const table of tables) {
    const own = table === 'nat' ? c.masq : c.forward;
    lines.push(`*${table}`, `:${own} - [0:0]`);
    for (const rule of chainRules(r).filter((x) => x.table === table))
      lines.push(['-A', rule.chain, ...rule.spec].map(word).join(' '));
    for (const j of jumps(r).filter((x) => x.table === table)) {
      const at = table === 'filter' ? ['-I', j.chain, '1'] : ['-A', j.chain];
      lines.push([...at, ...j.spec].map(word).join(' '));
    }
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}

/**
 * iptables-restore input removing the rules from what `iptables-save` printed: every rule anywhere
 * that jumps into tspod's chains (all copies), then the chains themselves. Null when none is there.
 */
export function removalInput(r: HostRules, saved: string): string | null {
  const own = Object.values(chainNames(r));
  const sections: string[] = [];
  let table = '';
  let lines: string[] = [];
  const flush = () => {
    if (lines.length > 0) sections.push(`*${table}`, ...lines, 'COMMIT');
    lines = [];
  };
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) {
      flush();
      table = line.slice(1).trim();
    } else if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0] ?? '';
      if (own.includes(chain)) lines.push(`-F ${chain}`, `-X ${chain}`);
    } else if (line.startsWith('-A ')) {
      const [, chain] = line.split(' ');
      const target = / -j (\S+)/.exec(line)?.[1];
      // Deletions first: a chain cannot be removed while a rule still jumps to it.
      if (chain && !own.includes(chain) && target && own.includes(target)) lines.unshift(`-D ${line.slice(3)}`);
    }
  }
  flush();
  return sections.length > 0 ? sections.join('\n') + '\n' : null;
}

/** The tables whose jump is missing (checked at once: `-C` changes nothing, so they can overlap). */
async function missingTables(r: HostRules, ops: IptablesOps): Promise<Rule['table'][]> {
  const present = await Promise.all(
    jumps(r).map(async (j) => (await ops.iptables(['-t', j.table, '-C', j.chain, ...j.spec])) === 0),
  );
  return jumps(r)
    .filter((_, i) => !present[i])
    .map((j) => j.table);
}

/** A flock on a directory, taken without blocking Node's thread; null when another holds it. */
export function tryLockDir(dir: string, how: 'sh' | 'ex'): (() => void) | null {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const release = () => fs.closeSync(fd); // closing the descriptor releases the flock
  try {
    if (kernel.flock(fd, how, false)) return release;
  } catch (err) {
    release();
    throw err;
  }
  release();
  return null;
}

const LOCK_TIMEOUT_MS = 60_000;

/** Checks the rules holding the shared lock: the release when they are there, else what is missing. */
async function checkShared(r: HostRules, ops: IptablesOps): Promise<(() => void) | Rule['table'][] | null> {
  const release = tryLockDir(r.leaseDir, 'sh');
  if (!release) return null;
  try {
    const missing = await missingTables(r, ops);
    if (missing.length === 0) return release;
    release();
    return missing;
  } catch (err) {
    release();
    throw err;
  }
}

/** Installs what is missing holding the exclusive lock; false when another holds the store. */
async function installExclusive(r: HostRules, ops: IptablesOps): Promise<boolean> {
  const release = tryLockDir(r.leaseDir, 'ex');
  if (!release) return false;
  try {
    // Another attach may have installed them since this one looked.
    const missing = await missingTables(r, ops);
    if (missing.length > 0) await ops.restore(installInput(r, missing));
    return true;
  } finally {
    release();
  }
}

/**
 * Makes sure the rules are installed and keeps them so until the returned function is called:
 * the caller calls it once its pod's lease exists (its ADD done, or failed and undone), from then on
 * the lease keeps `tspod gc` from removing them. The rules are found present holding the shared
 * lock, the one that is kept; a missing rule is installed holding the exclusive one, then looked
 * for again. Neither lock is waited for in the kernel: while attaches hold the store shared, one
 * that found the rules missing looks again rather than wait for them all to end.
 */
export async function holdHostRules(r: HostRules, ops: IptablesOps = realIptables): Promise<() => void> {
  fs.mkdirSync(r.leaseDir, { recursive: true, mode: 0o755 });
  const until = Date.now() + LOCK_TIMEOUT_MS;
  let installs = 0;
  let missing: Rule['table'][] = [];
  for (let wait = 2; Date.now() < until; wait = Math.min(wait * 2, 50)) {
    const shared = await checkShared(r, ops);
    if (typeof shared === 'function') return shared;
    if (shared) missing = shared;
    if (installs === 2) {
      throw new Error(
        `the masquerade and forward rules of network "${r.network}" did not stay installed (${missing.join(', ')} table)`,
      );
    }
    if (shared && (await installExclusive(r, ops))) {
      installs++;
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  throw new Error(`waited ${LOCK_TIMEOUT_MS / 1000} s for the lock of the network's lease store "${r.leaseDir}"`);
}

/** The guard of one attach: the store held shared, the rules being checked meanwhile. */
export interface AttachGuard {
  /** after ADD: waits for the check, installs what it found missing, and lets the store go */
  complete(): Promise<void>;
  /** after a failed ADD: lets the store go (idempotent) */
  release(): void;
}

/**
 * What an attach holds while its ADD runs: the shared lock, waited for (polled) *before* ADD, so
 * that `tspod gc` cannot take the rules or the bridge away while the bridge plugin builds on it; the
 * check of the rules runs alongside ADD (nothing in the pod sends a packet before its containers
 * start). Should a rule be missing, it is installed once ADD is done: the pod's lease then keeps gc
 * away while the shared lock is let go for the exclusive one.
 */
export async function guardHostRules(r: HostRules, ops: IptablesOps = realIptables): Promise<AttachGuard> {
  fs.mkdirSync(r.leaseDir, { recursive: true, mode: 0o755 });
  const until = Date.now() + LOCK_TIMEOUT_MS;
  let release = tryLockDir(r.leaseDir, 'sh');
  for (let wait = 2; !release; wait = Math.min(wait * 2, 50)) {
    if (Date.now() >= until)
      throw new Error(`waited ${LOCK_TIMEOUT_MS / 1000} s for the lock of the network's lease store "${r.leaseDir}"`);
    await new Promise((resolve) => setTimeout(resolve, wait));
    release = tryLockDir(r.leaseDir, 'sh');
  }
  const held = release;
  let released = false;
  const letGo = () => {
    if (!released) held();
    released = true;
  };
  const check = missingTables(r, ops);
  check.catch(() => {}); // awaited by complete(); not unhandled when ADD failed first
  return {
    complete: async () => {
      let missing: Rule['table'][];
      try {
        missing = await check;
      } finally {
        letGo();
      }
      if (missing.length > 0) (await holdHostRules(r, ops))();
    },
    release: letGo,
  };
}

/** Throws unless both jumps are in place (for CHECK). */
export async function checkHostRules(r: HostRules, ops: IptablesOps = realIptables): Promise<void> {
  const missing = await missingTables(r, ops);
  if (missing.length > 0)
    throw new Error(
      `network "${r.network}": its ${missing.join(' and ')} rules (${Object.values(chainNames(r)).join(', ')}) are missing`,
    );
}

/** host-local's lease files: one per address in use (its `lock` and `last_reserved_ip.*` are not). */
export function leases(leaseDir: string): string[] {
  try {
    return fs
      .readdirSync(leaseDir)
      .filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip'))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`reading the lease store "${leaseDir}"`, { cause: err });
  }
}

/** The bridge's ports, or null when there is no such bridge. */
function bridgePorts(bridge: string): string[] | null {
  try {
    return fs.readdirSync(path.join('/sys/class/net', bridge, 'brif'));
  } catch {
    return null;
  }
}

export type RemoveOutcome = 'removed' | 'in use' | 'absent';

/**
 * Removes the rules and the bridge when no pod is on the network: no lease in its store, no attach
 * under way (the exclusive lock is taken without waiting: an attach holding it shared is a pod
 * coming), no port on the bridge.
 */
export async function removeHostRules(r: HostRules, ops: IptablesOps = realIptables): Promise<RemoveOutcome> {
  const input = removalInput(r, await ops.save());
  const ports = bridgePorts(r.bridge);
  if (!input && ports === null) return 'absent';
  fs.mkdirSync(r.leaseDir, { recursive: true, mode: 0o755 });
  const release = tryLockDir(r.leaseDir, 'ex');
  if (!release) return 'in use';
  try {
    if (leases(r.leaseDir).length > 0 || (ports !== null && ports.length > 0)) return 'in use';
    if (input) await ops.restore(input);
    if (ports !== null) await ops.deleteLink(r.bridge);
    return 'removed';
  } finally {
    release();
  }
}

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

function runTool(file: string, args: string[], input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: { ...process.env, PATH: systemPath(process.env.PATH) } },
      (err, stdout, stderr) => {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (typeof code === 'string') {
          const hint =
            code === 'ENOENT'
              ? ` (the tspod network needs it: apt-get install ${file === 'ip' ? 'iproute2' : 'iptables'})`
              : '';
          reject(new Error(`running ${file}${hint}`, { cause: err }));
          return;
        }
        resolve({ status: typeof code === 'number' ? code : err ? 1 : 0, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {}); // a tool that exits without reading: its status tells
    child.stdin?.end(input ?? '');
  });
}

function failed(what: string, r: Ran): Error {
  return new Error(`${what} failed (exit status ${r.status}): ${r.stderr.trim() || r.stdout.trim() || 'no output'}`);
}

export const realIptables: IptablesOps = {
  iptables: async (args) => (await runTool('iptables', ['-w', ...args])).status,
  restore: async (input) => {
    const r = await runTool('iptables-restore', ['-w', '--noflush'], input);
    if (r.status !== 0) throw failed("iptables-restore of the tspod network's rules", r);
  },
  save: async () => {
    // Without iptables there can be no rules of tspod's (the attach would have needed it).
    const missing = (err: unknown) => ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    const parts = await Promise.all(
      ['nat', 'filter'].map((t) =>
        runTool('iptables-save', ['-t', t]).catch((err: unknown) => {
          if (missing(err)) return { status: 0, stdout: '', stderr: '' };
          throw err;
        }),
      ),
    );
    const bad = parts.find((p) => p.status !== 0);
    if (bad) throw failed('iptables-save', bad);
    return parts.map((p) => p.stdout).join('');
  },
  deleteLink: async (name) => {
    const r = await runTool('ip', ['link', 'del', name]);
    if (r.status !== 0) throw failed(`ip link del ${name}`, r);
  },
};
