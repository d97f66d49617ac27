/**
 * Facts about the host's own network, for `hostNetwork` pods and the downward API.
 *
 * A `hostNetwork` pod has no network namespace of its own: its `status.podIP` is the node's
 * address, as is `status.hostIP` for every pod. The kubelet takes the node's InternalIP; on a
 * single host, the best equivalent is the address of the interface that carries the default
 * route (the one other machines would reach), not the first interface that happens to be listed
 * (which might be the pods' own bridge).
 */
import fs from 'node:fs';
import os from 'node:os';

/** Interface of the IPv4 default route, from /proc/net/route (destination 0, mask 0). */
export function defaultRouteInterface(routeTable?: string): string | undefined {
  let text = routeTable;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/net/route', 'utf8');
    } catch {
      return undefined;
    }
  }
  for (const line of text.split('\n').slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (dest === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}

type Interfaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

function usable(a: os.NetworkInterfaceInfo): boolean {
  return !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'));
}

/** The host's addresses, IPv4 first, those of the default route's interface before the others. */
export function hostIPs(
  interfaces: Interfaces = os.networkInterfaces(),
  defaultIface = defaultRouteInterface(),
): string[] {
  const names = Object.keys(interfaces).sort((a, b) => Number(b === defaultIface) - Number(a === defaultIface));
  const all = names.flatMap((n) => (interfaces[n] ?? []).filter(usable));
  const ordered = [...all.filter((a) => a.family === 'IPv4'), ...all.filter((a) => a.family === 'IPv6')];
  return [...new Set(ordered.map((a) => a.address))];
}
