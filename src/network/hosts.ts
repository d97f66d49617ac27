/**
 * The pod's `/etc/hosts`, written byte for byte as the kubelet writes it.
 *
 * A pod with its own network namespace gets a file that tspod owns: the loopback names, the pod's
 * own address under its hostname (with the fully qualified name first when `spec.subdomain` is set:
 * `<hostname>.<subdomain>.<namespace>.svc.<cluster-domain>`), then the `hostAliases`. A
 * `hostNetwork` pod shares the host's network, so its file is the host's `/etc/hosts` under a
 * different header, plus the aliases. The file is generated once per pod and bind-mounted into
 * every container, so they all see the same inode.
 */

export interface HostAlias {
  ip: string;
  hostnames?: string[];
}

/** The cluster domain a kubelet is usually configured with; tspod has no cluster, only the name. */
export const CLUSTER_DOMAIN = 'cluster.local';

const HEADER = '# Kubernetes-managed hosts file.\n';
const HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

/** `<subdomain>.<namespace>.svc.<cluster-domain>`, or '' without a subdomain. */
export function podDomain(subdomain: string | undefined, namespace: string, clusterDomain = CLUSTER_DOMAIN): string {
  return subdomain ? `${subdomain}.${namespace}.svc.${clusterDomain}` : '';
}

function aliasLines(aliases: HostAlias[]): string {
  if (aliases.length === 0) return '';
  const lines = aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`);
  return '\n# Entries added by HostAliases.\n' + lines.join('');
}

/**
 * `/etc/hosts` of a pod with its own network namespace. Without an address (network `none`, or no
 * CNI plugins) there is no line for the pod itself; the kubelet would not mount the file at all.
 */
export function hostsFile(opts: {
  podIPs: string[];
  hostname: string;
  domain?: string;
  hostAliases: HostAlias[];
}): string {
  let text = HEADER;
  text += '127.0.0.1\tlocalhost\n';
  text += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  text += 'fe00::0\tip6-localnet\n';
  text += 'fe00::0\tip6-mcastprefix\n';
  text += 'fe00::1\tip6-allnodes\n';
  text += 'fe00::2\tip6-allrouters\n';
  for (const ip of opts.podIPs) {
    text += opts.domain ? `${ip}\t${opts.hostname}.${opts.domain}\t${opts.hostname}\n` : `${ip}\t${opts.hostname}\n`;
  }
  return text + aliasLines(opts.hostAliases);
}

/** `/etc/hosts` of a `hostNetwork` pod: the host's own file (its content given), plus the aliases. */
export function hostNetworkHostsFile(opts: { hostHosts: string; hostAliases: HostAlias[] }): string {
  return HEADER_HOST_NETWORK + opts.hostHosts + aliasLines(opts.hostAliases);
}
