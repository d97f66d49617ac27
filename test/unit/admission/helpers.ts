/** A node and pods to admit on it, built the way tspod builds them (validated, defaulted). */
import { onNode } from '../../../src/admission/on-node.js';
import type { PodOnNode } from '../../../src/admission/types.js';
import { validatePod } from '../../../src/manifest/index.js';
import type { Pod } from '../../../src/manifest/types.js';
import { parseNodeConfig } from '../../../src/node/config.js';
import { buildNode, type NodeInfo } from '../../../src/node/node.js';
import type { Json } from '../manifest/helpers.js';

export const GI = 2 ** 30;
export const MI = 2 ** 20;

/** A node of 2 CPUs, 1Gi of memory and 10Gi of disk, with no eviction threshold unless asked. */
export function node(config: Json = {}): NodeInfo {
  const facts = { hostname: 'lab-1', arch: 'amd64', cpus: 2, memoryBytes: GI, storageBytes: 10 * GI };
  return buildNode(facts, parseNodeConfig(JSON.stringify({ evictionHard: {}, ...config })));
}

/** A validated pod of busybox containers; `containers` are their resources (or whole containers). */
export function pod(name: string, spec: Json = {}, metadata: Json = {}): Pod {
  const containers = spec.containers ?? [{ name: 'c', image: 'busybox' }];
  return validatePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...metadata }, spec: { ...spec, containers } })
    .pod;
}

export function requesting(name: string, requests: Json, extra: Json = {}): Pod {
  return pod(name, { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], ...extra });
}

export const running = (...pods: Pod[]): PodOnNode[] => pods.map(onNode);
