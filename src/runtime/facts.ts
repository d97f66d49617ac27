/**
 * The host's facts a pod's plan depends on, gathered once before planning so that planning is a
 * pure function (pod-plan.ts): the node's name, the host's resolv.conf and /etc/hosts, its
 * addresses, where the cgroup hierarchies are, the capabilities tspod itself holds, the CNI
 * network's chain of plugins, the node's allocatable resources, where tspod's pause program is. `--dry-run` gathers the same facts
 * a run does; a test hands in fixed ones (and the pod's uid) to compare the plan with a saved copy.
 */
import fs from 'node:fs';
import os from 'node:os';
import { cgroupLayout } from '../cgroups/cgroups.js';
import type { CgroupLayout } from '../cgroups/detect.js';
import type { Allocatable, Pod } from '../manifest/types.js';
import { ownUserNamespace } from '../manifest/user-namespace.js';
import { peekRange, type UsernsRange } from '../state/userns-ranges.js';
import {
  cniSettings,
  hostIPs,
  loadNetwork,
  NO_NETWORK,
  podChain,
  portMappings,
  readHostResolvConf,
} from '../network/index.js';
import { pluginTypes } from '../network/config.js';
import { capsFromMask, type CapName } from '../plan/capabilities.js';
import { PAUSE_BINARY, type Roots } from '../paths.js';
import { nodeAllocatable } from './allocatable.js';
import { groups } from '../checked.js';

/** The CNI network a pod is attached to, as configured (or why it could not be read). */
export interface NetworkFacts {
  name: string;
  /** the conflist file, or "built-in" */
  source: string;
  /** the plugins' types, in the order ADD runs them */
  plugins: string[];
}

export interface HostFacts {
  /** the node's name (os.hostname()): the pod's hostname with hostNetwork, nodeName by default */
  hostname: string;
  /** the resolv.conf the pod's is made from ("" when the host has none) */
  hostResolvConf: string;
  /** the host's /etc/hosts (a hostNetwork pod's starts from it) */
  hostHosts: string;
  hostIPs: string[];
  cgroups: CgroupLayout;
  /** the capabilities in tspod's own bounding set: a container cannot get more */
  capabilities: CapName[];
  /** the network named by --network (absent: none) */
  network?: NetworkFacts;
  allocatable: Allocatable;
  /** where tspod's pause program is (the infra runs it) */
  pauseBinary: string;
  /** the running kernel's release (os.release()): which overlay options it takes */
  kernelRelease: string;
  /** hostUsers: false: the id range a claim would get now (the run claims its own: ledger.ts) */
  userns?: UsernsRange;
}

let ownCapabilities: CapName[] | undefined;
function hostCapabilities(): CapName[] {
  if (!ownCapabilities) {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    ownCapabilities = m ? capsFromMask(groups(m, 1)[0]) : [];
  }
  return ownCapabilities;
}

async function networkFacts(name: string, pod: Pod): Promise<NetworkFacts | undefined> {
  if (name === NO_NETWORK) return undefined;
  try {
    const net = await loadNetwork(name, cniSettings(process.env));
    // The plugins this pod runs: the built-in network's depend on its hostPorts.
    return {
      name: net.list.name,
      source: net.source,
      plugins: pluginTypes(podChain(net, portMappings(pod.spec.containers))),
    };
  } catch (err) {
    // Told again, and fatally, by the attach itself: a plan shows what it can.
    return { name, source: `(cannot be read: ${(err as Error).message})`, plugins: [] };
  }
}

/** The facts of this host now, for a pod on `network`. */
export async function gatherFacts(roots: Roots, network: string, pod: Pod): Promise<HostFacts> {
  const hostNetwork = !!pod.spec.hostNetwork;
  const range = ownUserNamespace(pod) ? peekRange(roots) : undefined;
  const hostResolv = await readHostResolvConf().catch(() => ({ content: '' }));
  return {
    hostname: os.hostname(),
    hostResolvConf: hostResolv.content,
    hostHosts: hostNetwork ? fs.readFileSync('/etc/hosts', 'utf8') : '',
    hostIPs: hostIPs(),
    cgroups: cgroupLayout(),
    capabilities: hostCapabilities(),
    ...(hostNetwork ? {} : { network: await networkFacts(network, pod) }),
    allocatable: nodeAllocatable(roots.root),
    pauseBinary: PAUSE_BINARY,
    kernelRelease: os.release(),
    ...(range ? { userns: range } : {}),
  };
}
