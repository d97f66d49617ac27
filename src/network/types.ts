/**
 * The shapes of CNI data, as the CNI specification (1.0.0) defines them, and of a pod's attachment.
 *
 * A CNI *network configuration list* ("conflist") names a network and lists the plugins that build
 * it; each plugin is an executable found by its `type` and configured by its own JSON object. The
 * runtime runs the plugins one after the other on the pod's network namespace, and each answers with
 * a *result* (interfaces, IP addresses, routes) that the next one receives as `prevResult`.
 *
 * A `NetworkAttachment` is what tspod remembers about one pod on one network: everything needed to
 * undo it later (`DEL`), even from another process after a crash, even if the configuration files
 * changed meanwhile. It is plain JSON, made to be stored in the pod's state.
 */
/** One plugin of a conflist: its `type` names the executable; the rest is the plugin's own. */
export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetConfList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: PluginConf[];
}

/** Where a network's configuration came from: a file, or tspod's built-in default. */
export interface LoadedNetwork {
  list: NetConfList;
  source: string;
}

/** The result of ADD (CNI 0.3.0 and later; older versions are converted when read). */
export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A `ports[].hostPort` of the manifest, in the shape of the `portMappings` capability. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export interface NetworkAttachment {
  /** the network's name (`tspod`, or one defined in a configuration file) */
  network: string;
  /** where its configuration came from (a file path, or `built-in`) */
  source: string;
  /** `CNI_CONTAINERID`: the pod's uid */
  containerId: string;
  /** the bind mount that keeps the pod's network namespace alive (`CNI_NETNS`) */
  netnsPin: string;
  /** `CNI_IFNAME` */
  ifName: string;
  /** `CNI_ARGS`, as pairs */
  args: [string, string][];
  /** the conflist used for ADD, so DEL runs the same plugins with the same settings */
  config: NetConfList;
  /** the last result ADD produced (null until the first plugin succeeded) */
  result: CniResult | null;
  /** the pod's addresses, without prefix length, primary first */
  ips: string[];
  portMappings: PortMapping[];
  /**
   * the network-wide masquerade and forward rules the pod relies on (the built-in network's; absent
   * for a configuration file's, whose plugins do their own)
   */
  hostRules?: HostRules;
}

/** The built-in network's masquerade and forward rules (host-rules.ts): what they match, where its leases are. */
export interface HostRules {
  network: string;
  subnet: string;
  bridge: string;
  /** host-local's directory of this network's leases (`<dataDir>/<network>`) */
  leaseDir: string;
}
