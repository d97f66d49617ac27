/**
 * Running a whole network configuration list, as the CNI specification orders it.
 *
 * ADD runs the plugins in list order; each receives the previous plugin's result as `prevResult`
 * and returns it, amended (the bridge creates the veth pair and takes an address from IPAM; portmap
 * adds iptables rules for the pod's address it finds in `prevResult`). The last result is the
 * network's answer: the pod's interfaces and addresses.
 *
 * DEL runs them in *reverse* order, so each plugin undoes its work while what it was built on is
 * still there (portmap's rules go before the bridge's veth and address), and every plugin gets the
 * result of the ADD as `prevResult`. DEL is also the cleanup after a failed ADD and after a crash,
 * so it must succeed when part (or all) of the state is already gone; the plugins are written to
 * allow that, and tspod keeps going through the list when one of them fails, so one broken plugin
 * does not leak what the others could have removed.
 *
 * CHECK runs in list order with the ADD result, VERSION asks one plugin what it speaks.
 */
import { execPlugin, findPlugin, pluginStdin, type PluginCall } from './exec.js';
import type { CniResult, NetConfList, PluginConf } from './types.js';
import { beforeFirst } from '../checked.js';

export type ListCall = Omit<PluginCall, 'command'>;

/** Runs ADD through the list. `onResult` is told each intermediate result, so it can be persisted. */
export async function addNetworkList(
  list: NetConfList,
  call: ListCall,
  capabilityArgs: Record<string, unknown>,
  onResult: (result: CniResult, index: number) => Promise<void>,
): Promise<CniResult> {
  let prevResult: CniResult | undefined;
  for (const [i, plugin] of list.plugins.entries()) {
    const stdin = pluginStdin(list, plugin, { capabilityArgs, prevResult });
    const out = await execPlugin(list, plugin, { ...call, command: 'ADD' }, stdin);
    if (!out) throw new Error(`cni plugin "${plugin.type}" ADD on network "${list.name}" printed no result`);
    prevResult = toCurrentResult(out);
    await onResult(prevResult, i);
  }
  return prevResult as CniResult;
}

/**
 * Runs DEL through the list in reverse with the stored ADD result. Every plugin is called even when
 * an earlier one failed; the failures are thrown together at the end.
 */
export async function delNetworkList(
  list: NetConfList,
  call: ListCall,
  capabilityArgs: Record<string, unknown>,
  prevResult: CniResult | null,
): Promise<void> {
  const errors: unknown[] = [];
  for (const plugin of [...list.plugins].reverse()) {
    const stdin = pluginStdin(list, plugin, { capabilityArgs, prevResult: prevResult ?? undefined });
    try {
      await execPlugin(list, plugin, { ...call, command: 'DEL' }, stdin);
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(
      errors,
      `cni DEL on network "${list.name}": ${errors.map((e) => (e as Error).message).join('; ')}`,
    );
  }
}

/** Runs CHECK through the list; throws the first plugin's complaint. */
export async function checkNetworkList(
  list: NetConfList,
  call: ListCall,
  capabilityArgs: Record<string, unknown>,
  prevResult: CniResult,
): Promise<void> {
  if (list.disableCheck) return;
  for (const plugin of list.plugins) {
    const stdin = pluginStdin(list, plugin, { capabilityArgs, prevResult });
    await execPlugin(list, plugin, { ...call, command: 'CHECK' }, stdin);
  }
}

/** The specification versions a plugin supports (`CNI_COMMAND=VERSION`). */
export async function pluginVersions(type: string, pluginDirs: string[]): Promise<string[]> {
  const plugin: PluginConf = { type };
  const list: NetConfList = { cniVersion: '1.0.0', name: 'version-query', plugins: [plugin] };
  const call: PluginCall = { command: 'VERSION', containerId: '', netns: '', ifName: '', args: [], pluginDirs };
  const out = (await execPlugin(list, plugin, call, { cniVersion: '1.0.0' })) as { supportedVersions?: unknown };
  return Array.isArray(out?.supportedVersions) ? out.supportedVersions.map(String) : [];
}

/** Plugin types (of `types`) that are not installed in `pluginDirs`. */
export function missingPlugins(types: string[], pluginDirs: string[]): string[] {
  return types.filter((t) => findPlugin(t, pluginDirs) === undefined);
}

/**
 * A result in the 0.3.0+ shape. Results of 0.1.0/0.2.0 (`ip4`, `ip6`) are converted; later ones
 * already have `ips[]`.
 */
export function toCurrentResult(out: unknown): CniResult {
  if (typeof out !== 'object' || out === null) throw new Error('cni result is not a JSON object');
  const r = out as CniResult & { ip4?: { ip: string; gateway?: string }; ip6?: { ip: string; gateway?: string } };
  if (Array.isArray(r.ips) || (!r.ip4 && !r.ip6)) return r;
  const ips = [r.ip4, r.ip6].filter((x) => x !== undefined).map((x) => ({ address: x.ip, gateway: x.gateway }));
  const { ip4: _4, ip6: _6, ...rest } = r;
  return { ...rest, cniVersion: r.cniVersion, ips };
}

/** The pod's addresses from a result, without prefix length: those in the pod's namespace, in order. */
export function resultIPs(result: CniResult | null): string[] {
  if (!result?.ips) return [];
  const inPod = (i: number | undefined) => {
    const iface = i === undefined ? undefined : result.interfaces?.[i];
    return iface === undefined || !!iface.sandbox;
  };
  return [...new Set(result.ips.filter((ip) => inPod(ip.interface)).map((ip) => beforeFirst(ip.address, '/')))];
}
