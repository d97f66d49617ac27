/**
 * The pod's `/etc/resolv.conf`, with the kubelet's semantics for `dnsPolicy` and `dnsConfig`.
 *
 * - `Default`: the host's resolver settings (nameservers, search list, options).
 * - `ClusterFirst` (the API default) and `ClusterFirstWithHostNet`: would point at the cluster's DNS
 *   service; tspod has no cluster, and a kubelet without a cluster DNS address falls back to
 *   `Default` in exactly this case, so tspod does the same.
 * - `None`: nothing from the host; only `dnsConfig`.
 * Then `dnsConfig` is appended: nameservers and searches after the host's, without duplicates;
 * options merged by name, the pod's value winning. Limits as the kubelet applies them: at most 3
 * nameservers, 32 search domains and 2048 characters of search list.
 *
 * The host's settings come from `/run/systemd/resolve/resolv.conf` when it exists (the upstream
 * servers of systemd-resolved, the file kubeadm points the kubelet at), else `/etc/resolv.conf`.
 * A nameserver on a loopback address (systemd-resolved's `127.0.0.53`, a local dnsmasq) listens in
 * the *host's* network namespace and cannot be reached from the pod's, so for pods with their own
 * network such host nameservers are left out, with a warning. Loopback nameservers the pod asks
 * for in `dnsConfig` are kept: they may be served from inside the pod.
 */
import fs from 'node:fs/promises';
import net from 'node:net';

export type DNSPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export const HOST_RESOLV_CONF_PATHS = ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf'];
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCHES = 32;
export const MAX_SEARCH_CHARS = 2048;

interface DNSSettings {
  servers: string[];
  searches: string[];
  options: string[];
}

/** The host's resolv.conf: the first of HOST_RESOLV_CONF_PATHS that exists ('' when none). */
export async function readHostResolvConf(paths = HOST_RESOLV_CONF_PATHS): Promise<{ path: string; content: string }> {
  for (const p of paths) {
    try {
      return { path: p, content: await fs.readFile(p, 'utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`reading "${p}"`, { cause: err });
    }
  }
  return { path: '', content: '' };
}

/** resolv.conf as the kubelet reads it: nameservers accumulate; the last search and options win. */
export function parseResolvConf(text: string): DNSSettings {
  const s: DNSSettings = { servers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const [key = '', ...values] = line.trim().split(/\s+/);
    const [server] = values;
    if (key === '' || key.startsWith('#') || key.startsWith(';')) continue;
    if (key === 'nameserver' && server !== undefined) s.servers.push(server);
    if (key === 'search') s.searches = values.filter((d) => d !== '.').map((d) => d.replace(/\.$/, ''));
    if (key === 'options') s.options = values;
  }
  return s;
}

export function isLoopbackAddress(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith('127.');
  if (!net.isIPv6(ip)) return false;
  // The URL parser writes an IPv6 address in its shortest form: ::1, ::ffff:7f00:1 for ::ffff:127.0.0.1.
  const host = new URL(`http://[${ip}]/`).hostname;
  return host === '[::1]' || host.startsWith('[::ffff:7f');
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** Options by name, in first-seen order; a later value for the same name replaces the earlier. */
function mergeOptions(host: string[], pod: { name: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of host) {
    const i = o.indexOf(':');
    byName.set(i === -1 ? o : o.slice(0, i), i === -1 ? '' : o.slice(i + 1));
  }
  for (const o of pod) byName.set(o.name, o.value ?? '');
  return [...byName].map(([name, value]) => (value ? `${name}:${value}` : name));
}

function hostPart(opts: ResolvOptions, warn: (msg: string) => void): DNSSettings {
  if (opts.dnsPolicy === 'None') return { servers: [], searches: [], options: [] };
  const host = parseResolvConf(opts.hostResolvConf);
  if (opts.hostNetwork) return host;
  const reachable = host.servers.filter((s) => !isLoopbackAddress(s));
  for (const s of host.servers.filter(isLoopbackAddress)) {
    warn(
      `the host's nameserver ${s} is a loopback address, unreachable from the pod's network namespace: left out of the pod's resolv.conf`,
    );
  }
  return { ...host, servers: reachable };
}

function fitLimits(s: DNSSettings, warn: (msg: string) => void): DNSSettings {
  let { servers, searches } = s;
  if (servers.length > MAX_NAMESERVERS) {
    servers = servers.slice(0, MAX_NAMESERVERS);
    warn(`more than ${MAX_NAMESERVERS} nameservers: using ${servers.join(' ')}`);
  }
  const before = searches.length;
  searches = searches.slice(0, MAX_SEARCHES);
  while (searches.join(' ').length > MAX_SEARCH_CHARS) searches = searches.slice(0, -1);
  if (searches.length < before) warn(`search list too long: using ${searches.join(' ')}`);
  return { servers, searches, options: s.options };
}

export interface ResolvOptions {
  /** content of the host's resolv.conf (see readHostResolvConf) */
  hostResolvConf: string;
  dnsPolicy: DNSPolicy;
  dnsConfig?: PodDNSConfig;
  hostNetwork: boolean;
}

/** The pod's resolv.conf content, written as containerd writes it (search, nameservers, options). */
export function resolvConf(opts: ResolvOptions, warn: (msg: string) => void = () => {}): string {
  const base = hostPart(opts, warn);
  const pod = opts.dnsConfig ?? {};
  const merged = fitLimits(
    {
      servers: unique([...base.servers, ...(pod.nameservers ?? [])]),
      searches: unique([...base.searches, ...(pod.searches ?? [])]),
      options: mergeOptions(base.options, pod.options ?? []),
    },
    warn,
  );
  let text = '';
  if (merged.searches.length > 0) text += `search ${merged.searches.join(' ')}\n`;
  for (const s of merged.servers) text += `nameserver ${s}\n`;
  if (merged.options.length > 0) text += `options ${merged.options.join(' ')}\n`;
  return text;
}
