/**
 * Finding a CNI network's configuration by name.
 *
 * CNI networks are described by JSON files in a configuration directory (`/etc/cni/net.d` by
 * convention): a `.conflist` holds a list of plugins under one network name; a `.conf` (or `.json`)
 * holds a single plugin, which is read as a list of one. Files are read in lexical order of their
 * names and the first file that defines a name wins, as libcni does, so `10-x.conflist` overrides
 * `99-x.conflist`.
 *
 * When no file defines it, the network `tspod` is tspod's built-in default: a Linux bridge `tspod0`
 * acting as the pods' gateway, with addresses from `host-local`, and `portmap` for `hostPort`. A
 * pod that publishes no hostPort runs the bridge alone (`podChain`): portmap would only look for
 * mappings it does not have. The masquerading of outgoing traffic and the FORWARD rules that let
 * it through a DROP policy (as Docker leaves it) are not the plugins' per-pod work here (bridge's
 * `ipMasq`, the firewall plugin): the whole subnet's, installed once (host-rules.ts).
 * A configuration file's list is always run as it is written.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_IPAM_DIR } from './host-rules.js';
import type { HostRules, LoadedNetwork, NetConfList, PluginConf, PortMapping } from './types.js';

export const DEFAULT_NETWORK = 'tspod';
export const DEFAULT_SUBNET = '10.203.0.0/16';
export const DEFAULT_BRIDGE = 'tspod0';
export const DEFAULT_CONFIG_DIRS = ['/etc/cni/net.d'];
export const DEFAULT_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
export const BUILT_IN = 'built-in';

/** The CNI specification's rule for network names (and tspod's for `--network`). */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'];

/** Where configurations and plugins are looked for; from the environment unless given. */
export interface CniSettings {
  configDirs: string[];
  pluginDirs: string[];
  /** subnet of the built-in network */
  subnet: string;
  /** host-local's `dataDir` for the built-in network; undefined: its default, /var/lib/cni/networks */
  ipamDir?: string;
  /** the built-in network's bridge */
  bridge: string;
}

function dirList(value: string | undefined, fallback: string[]): string[] {
  const dirs = (value ?? '').split(':').filter((d) => d !== '');
  return dirs.length > 0 ? dirs : fallback;
}

export function cniSettings(env: NodeJS.ProcessEnv = process.env, given: Partial<CniSettings> = {}): CniSettings {
  return {
    configDirs: given.configDirs ?? dirList(env.TSPOD_CNI_CONFIG_DIR, DEFAULT_CONFIG_DIRS),
    pluginDirs: given.pluginDirs ?? dirList(env.TSPOD_CNI_PATH, DEFAULT_PLUGIN_DIRS),
    subnet: given.subnet ?? (env.TSPOD_SUBNET || DEFAULT_SUBNET),
    ipamDir: given.ipamDir ?? (env.TSPOD_IPAM_DIR || undefined),
    bridge: given.bridge ?? (env.TSPOD_BRIDGE || DEFAULT_BRIDGE),
  };
}

export function validNetworkName(name: string): boolean {
  return NAME_RE.test(name);
}

/** An IPv4 network in CIDR notation, with no host bits set (`10.203.0.0/16`). */
export function checkSubnet(subnet: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 30) {
    throw new Error(`subnet "${subnet}" is not an IPv4 network such as ${DEFAULT_SUBNET} (prefix /8 to /30)`);
  }
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (value % 2 ** (32 - bits) !== 0) {
    throw new Error(`subnet "${subnet}" has host bits set`);
  }
}

/** A Linux interface name: 1 to 15 bytes, no "/", no white space, not "." or "..". */
export function checkBridge(name: string): void {
  if (!/^[^\s/:]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new Error(`TSPOD_BRIDGE: "${name}" is not an interface name (1 to 15 characters, no "/", ":" or spaces)`);
  }
}

/** The built-in `tspod` network, with every plugin a pod may need (portmap for hostPorts). */
export function builtinNetwork(settings: CniSettings): NetConfList {
  checkSubnet(settings.subnet);
  checkBridge(settings.bridge);
  const ipam: Record<string, unknown> = {
    type: 'host-local',
    ranges: [[{ subnet: settings.subnet }]],
    routes: [{ dst: '0.0.0.0/0' }],
  };
  if (settings.ipamDir) ipam.dataDir = settings.ipamDir;
  return {
    cniVersion: '1.0.0',
    name: DEFAULT_NETWORK,
    plugins: [
      // ipMasq off: the subnet's masquerade is one rule for all pods (builtinHostRules)
      { type: 'bridge', bridge: settings.bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** The masquerade and forward rules the built-in network's pods rely on (host-rules.ts). */
export function builtinHostRules(settings: CniSettings): HostRules {
  checkSubnet(settings.subnet);
  checkBridge(settings.bridge);
  const leaseDir = path.join(settings.ipamDir ?? DEFAULT_IPAM_DIR, DEFAULT_NETWORK);
  return { network: DEFAULT_NETWORK, subnet: settings.subnet, bridge: settings.bridge, leaseDir };
}

/**
 * The plugins a pod runs: a configuration file's list as written; the built-in network's without
 * portmap when the pod maps no hostPort (it would be run for ADD and for DEL, only to find that it
 * has nothing to do).
 */
export function podChain(net: LoadedNetwork, ports: PortMapping[]): NetConfList {
  if (net.source !== BUILT_IN || ports.length > 0) return net.list;
  return { ...net.list, plugins: net.list.plugins.filter((p) => p.type !== 'portmap') };
}

/** A configuration file's JSON, as a conflist (a single plugin becomes a list of one). */
export function parseConfigFile(file: string, text: string): NetConfList {
  const data = JSON.parse(text) as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not a JSON object');
  if (typeof data.name !== 'string' || !validNetworkName(data.name)) throw new Error('missing or invalid "name"');
  const cniVersion = typeof data.cniVersion === 'string' ? data.cniVersion : '0.2.0';
  if (file.endsWith('.conflist') || Array.isArray(data.plugins)) {
    const plugins = data.plugins;
    if (!Array.isArray(plugins) || plugins.length === 0) throw new Error('"plugins" must be a non-empty list');
    plugins.forEach((p, i) => checkPlugin(p, `plugins[${i}]`));
    return { cniVersion, name: data.name, disableCheck: data.disableCheck === true, plugins: plugins as PluginConf[] };
  }
  checkPlugin(data, 'the configuration');
  const { name, cniVersion: _v, ...plugin } = data;
  return { cniVersion, name: name as string, plugins: [plugin as PluginConf] };
}

function checkPlugin(p: unknown, where: string): void {
  const type = (p as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || type === '') throw new Error(`${where} has no "type"`);
}

export interface ConfigScan {
  networks: LoadedNetwork[];
  /** files that could not be read or parsed, with why */
  problems: string[];
}

/** Every network defined in the configuration directories, in libcni's order. */
export async function scanConfigDirs(dirs: string[]): Promise<ConfigScan> {
  const scan: ConfigScan = { networks: [], problems: [] };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => CONFIG_EXTENSIONS.includes(path.extname(n))).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') scan.problems.push(`${dir}: ${(err as Error).message}`);
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        scan.networks.push({ list: parseConfigFile(file, await fs.readFile(file, 'utf8')), source: file });
      } catch (err) {
        scan.problems.push(`${file}: ${(err as Error).message}`);
      }
    }
  }
  return scan;
}

/** The configuration of network `name`: the first file defining it, else the built-in `tspod`. */
export async function loadNetwork(name: string, settings: CniSettings): Promise<LoadedNetwork> {
  if (!validNetworkName(name)) throw new Error(`network name "${name}" is not valid (letters, digits, "_", ".", "-")`);
  const scan = await scanConfigDirs(settings.configDirs);
  const found = scan.networks.find((n) => n.list.name === name);
  if (found) return found;
  if (name === DEFAULT_NETWORK) return { list: builtinNetwork(settings), source: BUILT_IN };
  const known = [DEFAULT_NETWORK, 'none', ...scan.networks.map((n) => n.list.name)];
  const problems = scan.problems.length > 0 ? `; unreadable files: ${scan.problems.join('; ')}` : '';
  throw new Error(
    `network "${name}" is not defined in ${settings.configDirs.join(', ')} (known: ${[...new Set(known)].join(', ')})${problems}`,
  );
}

/** Plugin types a conflist needs, including IPAM plugins the main plugins call. */
export function pluginTypes(list: NetConfList): string[] {
  const types: string[] = [];
  for (const p of list.plugins) {
    types.push(p.type);
    const ipam = (p as { ipam?: { type?: unknown } }).ipam;
    if (typeof ipam?.type === 'string') types.push(ipam.type);
  }
  return [...new Set(types)];
}
