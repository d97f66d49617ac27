/**
 * Pod networking: what the runtime calls to give a pod an address, and to take it back.
 *
 * The pod's infra process holds a fresh network namespace with only `lo`. To connect it, tspod
 * does what containerd and CRI-O do: it pins the namespace to a file, then hands that path to the
 * CNI plugins of the chosen network (`ADD`), which create a veth pair into a bridge, assign an
 * address and install the NAT rules for `hostPort`. Teardown runs `DEL`, which removes all of that
 * and releases the address, then unpins the namespace; because the pin, not the infra, keeps the
 * namespace alive, teardown works the same after the infra died or tspod was killed.
 *
 * Crash safety rests on one ordering rule: the attachment is recorded (`record`) *before* anything
 * exists on the host, and again after each plugin succeeded, so whatever state a crash leaves, the
 * pod's saved state says enough for `detachPod` to undo it.
 *
 * On the built-in network, the masquerade and forward rules are the network's, not the pod's
 * (host-rules.ts): an attach makes sure they are there, and nothing of them is the pod's to undo.
 */
import { addNetworkList, checkNetworkList, delNetworkList, missingPlugins, resultIPs, type ListCall } from './cni.js';
import {
  BUILT_IN,
  DEFAULT_NETWORK,
  builtinHostRules,
  cniSettings,
  loadNetwork,
  pluginTypes,
  podChain,
  validNetworkName,
  type CniSettings,
} from './config.js';
import {
  checkHostRules,
  guardHostRules,
  realIptables,
  removeHostRules,
  type IptablesOps,
  type RemoveOutcome,
} from './host-rules.js';
import { isHostNetns, isPinned, netnsPinPath, pinNetns, unpinNetns, type MountOps } from './netns.js';
import type { LoadedNetwork, NetConfList, NetworkAttachment, PortMapping } from './types.js';

export * from './types.js';
export { CniError } from './exec.js';
export {
  cniSettings,
  DEFAULT_NETWORK,
  DEFAULT_SUBNET,
  DEFAULT_BRIDGE,
  loadNetwork,
  podChain,
  type CniSettings,
} from './config.js';
export { netnsPinPath, isPinned, listNetnsPins, unpinNetns } from './netns.js';
export { hostsFile, hostNetworkHostsFile, podDomain, CLUSTER_DOMAIN, type HostAlias } from './hosts.js';
export { resolvConf, readHostResolvConf, type DNSPolicy, type PodDNSConfig } from './resolv.js';
export { hostIPs } from './host.js';
export { portMappings } from './ports.js';

/** The network name that means "loopback only". */
export const NO_NETWORK = 'none';
export const NETWORK_ANNOTATION = 'tspod.io/network';
export const INSTALL_HINT = 'apt-get install containernetworking-plugins';

/** `--network` wins over the pod's `tspod.io/network` annotation; the default is `tspod`. */
export function chooseNetwork(cliOption: string | undefined, annotations: Record<string, string> | undefined): string {
  const [name, from] =
    cliOption !== undefined
      ? [cliOption, '--network']
      : annotations?.[NETWORK_ANNOTATION] !== undefined
        ? [annotations[NETWORK_ANNOTATION], `metadata.annotations[${NETWORK_ANNOTATION}]`]
        : [DEFAULT_NETWORK, 'default'];
  if (!validNetworkName(name)) {
    throw new Error(`${from}: network name "${name}" is not valid (letters, digits, "_", ".", "-"; or "none")`);
  }
  return name;
}

export interface AttachOptions {
  runRoot: string;
  podName: string;
  /** the pod's uid, used as CNI_CONTAINERID */
  podUid: string;
  namespace: string;
  /** the infra process, alive and holding the pod's network namespace */
  infraPid: number;
  network: string;
  portMappings: PortMapping[];
  /** persists the attachment in the pod's state; called before anything is created, then after each step */
  record: (a: NetworkAttachment) => Promise<void>;
  warn: (msg: string) => void;
  settings?: Partial<CniSettings>;
  mountOps?: MountOps;
  /** the iptables work of the built-in network's host rules (host-rules.ts); tests may record it */
  iptablesOps?: IptablesOps;
}

export interface DetachOptions {
  settings?: Partial<CniSettings>;
  mountOps?: MountOps;
  iptablesOps?: IptablesOps;
  /** unpin even when DEL failed (the error is still thrown): for a DEL that can never succeed */
  force?: boolean;
}

let warnedNoPlugins = false;

function noPlugins(o: AttachOptions, net: LoadedNetwork, missing: string[], s: CniSettings): null {
  const what = `cni plugins ${missing.join(', ')} are not installed in ${s.pluginDirs.join(', ')}`;
  if (net.source !== BUILT_IN) throw new Error(`network "${net.list.name}" (${net.source}): ${what}`);
  if (!warnedNoPlugins) {
    o.warn(
      `${what}: pods get only a loopback interface and no IP address; for pod IPs, install them (${INSTALL_HINT})`,
    );
    warnedNoPlugins = true;
  }
  return null;
}

function newAttachment(o: AttachOptions, net: LoadedNetwork, chain: NetConfList, s: CniSettings): NetworkAttachment {
  const a: NetworkAttachment = {
    network: net.list.name,
    source: net.source,
    containerId: o.podUid,
    netnsPin: netnsPinPath(o.runRoot, o.podName),
    ifName: 'eth0',
    args: [
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAMESPACE', o.namespace],
      ['K8S_POD_NAME', o.podName],
      ['K8S_POD_INFRA_CONTAINER_ID', o.podUid],
      ['K8S_POD_UID', o.podUid],
    ],
    config: chain,
    result: null,
    ips: [],
    portMappings: o.portMappings,
  };
  if (net.source === BUILT_IN) a.hostRules = builtinHostRules(s);
  return a;
}

function listCall(a: NetworkAttachment, s: CniSettings, netns: string): ListCall {
  return { containerId: a.containerId, netns, ifName: a.ifName, args: a.args, pluginDirs: s.pluginDirs };
}

function capabilityArgs(a: NetworkAttachment): Record<string, unknown> {
  return a.portMappings.length > 0 ? { portMappings: a.portMappings } : {};
}

/**
 * Connects the pod's network namespace (that of `infraPid`) to network `network`. Returns null for
 * `none`, and when the built-in network's plugins are not installed (after warning once).
 */
export async function attachPod(o: AttachOptions): Promise<NetworkAttachment | null> {
  if (o.network === NO_NETWORK) return null;
  const settings = cniSettings(process.env, o.settings);
  const net = await loadNetwork(o.network, settings);
  const chain = podChain(net, o.portMappings);
  const missing = missingPlugins(pluginTypes(chain), settings.pluginDirs);
  if (missing.length > 0) return noPlugins(o, net, missing, settings);

  const a = newAttachment(o, net, chain, settings);
  // Checked before anything is recorded: undoing *this* attach must not touch another pod's pin.
  if (await isPinned(a.netnsPin)) {
    throw new Error(`network namespace pin "${a.netnsPin}" is in use: is a pod named "${o.podName}" already running?`);
  }
  await o.record(a);
  // Before ADD: the lease store held, so `tspod gc` leaves the network's rules and bridge alone
  // until this pod's lease exists; the rules are checked while the plugins run.
  const guard = a.hostRules ? await guardHostRules(a.hostRules, o.iptablesOps ?? realIptables) : undefined;
  try {
    await pinNetns(o.infraPid, a.netnsPin, o.mountOps);
    const step = async (result: NetworkAttachment['result']) => {
      a.result = result;
      a.ips = resultIPs(result);
      await o.record(a);
    };
    await addNetworkList(a.config, listCall(a, settings, a.netnsPin), capabilityArgs(a), step);
    await guard?.complete();
  } catch (err) {
    guard?.release();
    await undoFailedAttach(a, o, err);
  }
  return a;
}

/** A failed ADD is undone at once (DEL of the whole list, then unpin), then reported. */
async function undoFailedAttach(a: NetworkAttachment, o: AttachOptions, err: unknown): Promise<never> {
  const failure = new Error(`attaching pod "${o.podName}" to network "${a.network}"`, { cause: err });
  try {
    await detachPod(a, o);
  } catch (undoErr) {
    const why = (undoErr as Error).cause instanceof Error ? ((undoErr as Error).cause as Error).message : '';
    o.warn(
      `undoing the failed network attach of pod "${o.podName}": ${(undoErr as Error).message}: ${why} (the netns pin is kept for a retry)`,
    );
  }
  throw failure;
}

/**
 * Disconnects a pod: DEL through the network's plugins (in reverse, with the stored result), then
 * removes the netns pin. Idempotent, and works whether or not the infra is still alive. When DEL
 * fails, the pin is kept (the bridge plugin needs the namespace to find the rules to remove) and
 * the error is thrown, so a later `tspod gc` can retry with the same attachment; `force` unpins
 * anyway, for a DEL that cannot succeed (a plugin uninstalled, a configuration it rejects).
 */
export async function detachPod(a: NetworkAttachment, o: DetachOptions = {}): Promise<void> {
  const settings = cniSettings(process.env, o.settings);
  // With no namespace left (never pinned, or pinned and then crashed before the mount), the plugins
  // are told so with an empty CNI_NETNS: they then release what lives outside it (address, rules).
  const netns = (await isPinned(a.netnsPin)) ? a.netnsPin : '';
  if (netns && (await isHostNetns(netns))) {
    throw new Error(`netns pin "${netns}" holds the host's network namespace: not running DEL on it`);
  }
  try {
    await delNetworkList(a.config, listCall(a, settings, netns), capabilityArgs(a), a.result);
  } catch (err) {
    if (o.force) await unpinNetns(a.netnsPin, o.mountOps);
    throw new Error(`detaching pod "${podNameOf(a)}" from network "${a.network}"`, { cause: err });
  }
  await unpinNetns(a.netnsPin, o.mountOps);
}

/** CHECK: asks the plugins whether the pod's network is still as ADD left it. */
export async function checkPod(a: NetworkAttachment, o: DetachOptions = {}): Promise<void> {
  if (!a.result) throw new Error(`pod "${podNameOf(a)}" has no result from network "${a.network}" to check`);
  const settings = cniSettings(process.env, o.settings);
  await checkNetworkList(a.config, listCall(a, settings, a.netnsPin), capabilityArgs(a), a.result);
  if (a.hostRules) await checkHostRules(a.hostRules, o.iptablesOps);
}

/**
 * `tspod gc`: removes the built-in network's host rules and its bridge when no pod is on it (no
 * lease in its store, no attach under way, no port on the bridge). They are a host fixture, made
 * by the first pod and kept, as the CNI plugins keep theirs; this is how the host is left as it was.
 */
export async function removeBuiltinNetwork(o: DetachOptions = {}): Promise<RemoveOutcome> {
  return removeHostRules(builtinHostRules(cniSettings(process.env, o.settings)), o.iptablesOps);
}

function podNameOf(a: NetworkAttachment): string {
  return a.args.find(([k]) => k === 'K8S_POD_NAME')?.[1] ?? a.containerId;
}
