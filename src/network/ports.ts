/**
 * `ports[].hostPort` of a manifest, as the CNI `portMappings` capability wants them.
 *
 * A container port with a `hostPort` is published on the host: connections to the host's
 * `hostIP:hostPort` (any local address when `hostIP` is empty) are forwarded to the pod's address
 * on `containerPort`. The `portmap` plugin does this with iptables DNAT rules; a port without
 * `hostPort` is only documentation, as in Kubernetes. For a `hostNetwork` pod the container port
 * already *is* a host port, so there is nothing to map.
 */
import type { PortMapping } from './types.js';

export interface ManifestPort {
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

export function portMappings(containers: { ports?: ManifestPort[] }[], hostNetwork = false): PortMapping[] {
  if (hostNetwork) return [];
  const mappings: PortMapping[] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const m: PortMapping = {
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: (p.protocol ?? 'TCP').toLowerCase() as PortMapping['protocol'],
      };
      // 0.0.0.0 and :: mean "every address", which portmap expresses by leaving hostIP out.
      if (p.hostIP && p.hostIP !== '0.0.0.0' && p.hostIP !== '::') m.hostIP = p.hostIP;
      mappings.push(m);
    }
  }
  return mappings;
}
