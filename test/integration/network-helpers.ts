/**
 * Helpers for the network integration tests: network namespaces held by a sleeping process (the
 * stand-in for a pod's infra), commands run inside them with nsenter, and a look at the host for
 * anything a pod's attachment may have left: its veth, its IPAM lease, its iptables rules, its
 * netns pin. Traffic only goes to loopback and to addresses of namespaces these tests create.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import {
  attachPod,
  cniSettings,
  detachPod,
  type NetworkAttachment,
  type PortMapping,
} from '../../src/network/index.js';

export const run = promisify(execFile);
/** host-local's store for the built-in network: its default unless TSPOD_IPAM_DIR moves it. */
export const IPAM_DIR = cniSettings().ipamDir ?? '/var/lib/cni/networks';

/** A process in a new network namespace, as a pod's infra would be. */
export class NetnsHolder {
  readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async start(): Promise<NetnsHolder> {
    const child = spawn('unshare', ['--net', '--', 'sleep', '3600'], { stdio: 'ignore' });
    const holder = new NetnsHolder(child);
    const own = fs.readlinkSync('/proc/self/ns/net');
    // unshare switches namespaces before it execs sleep: wait until it has.
    for (let i = 0; i < 200; i++) {
      try {
        if (fs.readlinkSync(`/proc/${child.pid}/ns/net`) !== own) return holder;
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    holder.kill();
    throw new Error('unshare --net did not enter a new network namespace');
  }

  get pid(): number {
    return this.child.pid as number;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs a command inside the network namespace pinned at `pin`. */
export async function inNetns(pin: string, cmd: string[], timeout = 10_000): Promise<string> {
  const { stdout } = await run('nsenter', [`--net=${pin}`, '--', ...cmd], { timeout });
  return stdout;
}

/** A long-running server inside the pinned namespace (killed with `stop`). */
export function serveInNetns(pin: string, cmd: string[]): ChildProcess {
  return spawn('nsenter', [`--net=${pin}`, '--', ...cmd], { stdio: 'ignore' });
}

/** A run root and pod names that no other test uses. */
export function testPod(runRoot: string, over: { portMappings?: PortMapping[]; network?: string } = {}) {
  const id = randomUUID();
  return {
    runRoot,
    podName: `nettest-${id.slice(0, 8)}`,
    podUid: id,
    namespace: 'default',
    network: over.network ?? 'tspod',
    portMappings: over.portMappings ?? [],
  };
}

/** attachPod for a holder, keeping every recorded state (the last one is what a crash leaves). */
export async function attach(holder: NetnsHolder, pod: ReturnType<typeof testPod>, records: NetworkAttachment[] = []) {
  const warnings: string[] = [];
  const a = await attachPod({
    ...pod,
    infraPid: holder.pid,
    record: async (x) => void records.push(structuredClone(x)),
    warn: (w) => void warnings.push(w),
  });
  expect(warnings).toEqual([]);
  expect(a, 'attachPod returned null: are the CNI plugins installed?').not.toBeNull();
  return a as NetworkAttachment;
}

/** Host-side veth names of an attachment (from the ADD result: interfaces outside the pod, except the bridge). */
export function hostVeths(a: NetworkAttachment): string[] {
  const bridge = (a.config.plugins[0] as { bridge?: string }).bridge;
  return (a.result?.interfaces ?? []).filter((i) => !i.sandbox && i.name !== bridge).map((i) => i.name);
}

/** The host end of the veth whose other end is eth0 in the pinned namespace. */
export async function hostVethOf(pin: string): Promise<string> {
  const [inside] = JSON.parse(await inNetns(pin, ['ip', '-j', 'link', 'show', 'eth0'])) as { link_index: number }[];
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout) as { ifindex: number; ifname: string }[];
  const peer = links.find((l) => l.ifindex === inside.link_index);
  if (!peer) throw new Error(`no host interface with index ${inside.link_index}`);
  return peer.ifname;
}

export interface Leftovers {
  veths: string[];
  leases: string[];
  iptables: string[];
  mounts: string[];
  pinFile: boolean;
}

/** What of the attachment is still on the host. */
export async function leftovers(
  a: NetworkAttachment,
  veths: string[],
  leaseDir = path.join(IPAM_DIR, a.network),
): Promise<Leftovers> {
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout) as { ifname: string }[];
  const leases = fs.existsSync(leaseDir)
    ? fs.readdirSync(leaseDir).filter((f) => {
        const p = path.join(leaseDir, f);
        return fs.statSync(p).isFile() && fs.readFileSync(p, 'utf8').includes(a.containerId);
      })
    : [];
  const rules = (await run('iptables-save')).stdout.split('\n');
  const ips = a.ips.map((ip) => new RegExp(`(^|[^0-9.])${ip.replace(/\./g, '\\.')}([^0-9]|$)`));
  const iptables = rules.filter((l) => l.includes(a.containerId) || ips.some((re) => re.test(l)));
  const mounts = (await run('findmnt', ['-rn', '-o', 'TARGET'])).stdout.split('\n').filter((t) => t === a.netnsPin);
  return {
    veths: links.map((l) => l.ifname).filter((n) => veths.includes(n)),
    leases,
    iptables,
    mounts,
    pinFile: fs.existsSync(a.netnsPin),
  };
}

export const CLEAN: Leftovers = { veths: [], leases: [], iptables: [], mounts: [], pinFile: false };

/** Detaches whatever a test attached, even when the test failed half-way; tolerant of repeats. */
export async function cleanup(attachments: NetworkAttachment[], holders: NetnsHolder[]): Promise<void> {
  for (const a of attachments) await detachPod(a).catch(() => {});
  for (const h of holders) h.kill();
}

/** HTTP GET through Node (the client on the host), with a short timeout. */
export async function httpGet(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.text();
}
