/**
 * Where a network probe or hook goes: the host (the pod's IP unless `host` says otherwise; a
 * hostNetwork pod's IP is the node's) and the port (a number, or the name of one of the
 * container's ports: its containerPort). Network probes start in the supervisor, that is in the
 * host's network namespace, as the kubelet's do: the pod is reached through its IP, never through
 * a namespace the supervisor would have to enter.
 */
import type { Container, PortRef } from '../manifest/types.js';
import type { PodStatus } from '../state/types.js';
import { ProbeError } from './result.js';

export function resolvePort(port: PortRef, c: Container): number {
  if (typeof port === 'number') return port;
  const named = c.ports.find((p) => p.name === port);
  if (named) return named.containerPort;
  // As the kubelet: a name that is all digits is a number written as a string.
  if (/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536) return Number(port);
  throw new ProbeError(`port ${port} not found`);
}

export function resolveHost(host: string | undefined, status: PodStatus): string {
  if (host) return host;
  if (!status.podIP)
    throw new ProbeError('the pod has no IP address (it runs with --network none): a network probe cannot reach it');
  return status.podIP;
}

/** `host:port`, with brackets around an IPv6 address (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
