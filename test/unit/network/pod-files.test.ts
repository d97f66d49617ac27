import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRouteInterface, hostIPs } from '../../../src/network/host.js';
import { hostNetworkHostsFile, hostsFile, podDomain } from '../../../src/network/hosts.js';
import { isLoopbackAddress, parseResolvConf, readHostResolvConf, resolvConf } from '../../../src/network/resolv.js';

const LOCAL = [
  '# Kubernetes-managed hosts file.',
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
].join('\n');

describe('hostsFile', () => {
  it('is the kubelet file: loopback names, then the pod IP and hostname', () => {
    expect(hostsFile({ podIPs: ['10.203.0.5'], hostname: 'web', hostAliases: [] })).toBe(`${LOCAL}\n10.203.0.5\tweb\n`);
  });

  it('puts the fully qualified name first when the pod has a subdomain', () => {
    const domain = podDomain('svc1', 'team');
    expect(domain).toBe('svc1.team.svc.cluster.local');
    expect(hostsFile({ podIPs: ['10.203.0.5', 'fd00::5'], hostname: 'web', domain, hostAliases: [] })).toBe(
      `${LOCAL}\n10.203.0.5\tweb.svc1.team.svc.cluster.local\tweb\nfd00::5\tweb.svc1.team.svc.cluster.local\tweb\n`,
    );
    expect(podDomain(undefined, 'team')).toBe('');
  });

  it('appends hostAliases after a blank line and a comment, names separated by tabs', () => {
    const hostAliases = [
      { ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] },
      { ip: '10.1.2.3', hostnames: ['foo.remote'] },
    ];
    expect(hostsFile({ podIPs: ['10.203.0.5'], hostname: 'web', hostAliases })).toBe(
      `${LOCAL}\n10.203.0.5\tweb\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n`,
    );
  });

  it('has no pod line without a pod IP', () => {
    expect(hostsFile({ podIPs: [], hostname: 'web', hostAliases: [] })).toBe(`${LOCAL}\n`);
  });

  it('is the host file under its own header for hostNetwork pods', () => {
    const hostHosts = '127.0.0.1 localhost\n192.0.2.2 vm\n';
    expect(hostNetworkHostsFile({ hostHosts, hostAliases: [] })).toBe(
      `# Kubernetes-managed hosts file (host network).\n${hostHosts}`,
    );
    expect(hostNetworkHostsFile({ hostHosts, hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }] })).toBe(
      `# Kubernetes-managed hosts file (host network).\n${hostHosts}\n# Entries added by HostAliases.\n10.0.0.1\ta\n`,
    );
  });
});

describe('resolvConf', () => {
  const host =
    '# generated\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch example.com. corp.example\noptions ndots:2 edns0\n';

  it('copies the host settings for Default, and for ClusterFirst (no cluster DNS to use)', () => {
    const want =
      'search example.com corp.example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\noptions ndots:2 edns0\n';
    for (const dnsPolicy of ['Default', 'ClusterFirst', 'ClusterFirstWithHostNet'] as const) {
      expect(resolvConf({ hostResolvConf: host, dnsPolicy, hostNetwork: false })).toBe(want);
    }
  });

  it('appends dnsConfig without duplicates, the pod winning on options', () => {
    const dnsConfig = {
      nameservers: ['192.0.2.53', '198.51.100.1'],
      searches: ['corp.example', 'pod.example'],
      options: [{ name: 'ndots', value: '5' }, { name: 'single-request' }],
    };
    expect(resolvConf({ hostResolvConf: host, dnsPolicy: 'Default', dnsConfig, hostNetwork: false })).toBe(
      'search example.com corp.example pod.example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nnameserver 198.51.100.1\n' +
        'options ndots:5 edns0 single-request\n',
    );
  });

  it('uses only dnsConfig for None', () => {
    const dnsConfig = { nameservers: ['127.0.0.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '1' }] };
    expect(resolvConf({ hostResolvConf: host, dnsPolicy: 'None', dnsConfig, hostNetwork: false })).toBe(
      'search a.example\nnameserver 127.0.0.1\noptions ndots:1\n',
    );
    expect(resolvConf({ hostResolvConf: host, dnsPolicy: 'None', hostNetwork: false })).toBe('');
  });

  it('leaves out host nameservers on loopback for pods with their own network, and says so', () => {
    const warnings: string[] = [];
    const stub = 'nameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0 trust-ad\nsearch .\n';
    expect(
      resolvConf({ hostResolvConf: stub, dnsPolicy: 'Default', hostNetwork: false }, (w) => warnings.push(w)),
    ).toBe('nameserver 192.0.2.53\noptions edns0 trust-ad\n');
    expect(warnings).toEqual([
      "the host's nameserver 127.0.0.53 is a loopback address, unreachable from the pod's network namespace: left out of the pod's resolv.conf",
    ]);
    expect(resolvConf({ hostResolvConf: stub, dnsPolicy: 'Default', hostNetwork: true })).toBe(
      'nameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0 trust-ad\n',
    );
  });

  it('keeps at most 3 nameservers and 32 search domains', () => {
    const warnings: string[] = [];
    const many =
      [1, 2, 3, 4].map((i) => `nameserver 192.0.2.${i}`).join('\n') +
      `\nsearch ${Array.from({ length: 40 }, (_, i) => `d${i}.example`).join(' ')}\n`;
    const text = resolvConf({ hostResolvConf: many, dnsPolicy: 'Default', hostNetwork: false }, (w) =>
      warnings.push(w),
    );
    expect(text.match(/^nameserver/gm)).toHaveLength(3);
    expect(text.split('\n')[0].split(' ')).toHaveLength(33);
    expect(warnings).toHaveLength(2);
  });

  it('parses as the kubelet does: the last search and options lines win, comments skipped', () => {
    expect(
      parseResolvConf('search a b\nsearch c\n; x\n#nameserver 1.1.1.1\nnameserver 9.9.9.9\noptions x\noptions y z\n'),
    ).toEqual({
      servers: ['9.9.9.9'],
      searches: ['c'],
      options: ['y', 'z'],
    });
  });

  it('recognises loopback addresses', () => {
    for (const ip of ['127.0.0.53', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(ip)).toBe(true);
    for (const ip of ['10.0.0.1', 'fe80::1', '::2', 'example']) expect(isLoopbackAddress(ip)).toBe(false);
  });

  it('reads the first host resolv.conf that exists', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-resolv-'));
    fs.writeFileSync(path.join(dir, 'b'), 'nameserver 192.0.2.9\n');
    expect(await readHostResolvConf([path.join(dir, 'a'), path.join(dir, 'b')])).toEqual({
      path: path.join(dir, 'b'),
      content: 'nameserver 192.0.2.9\n',
    });
    expect(await readHostResolvConf([path.join(dir, 'a')])).toEqual({ path: '', content: '' });
    fs.rmSync(dir, { recursive: true });
  });
});

describe('host addresses', () => {
  it('finds the default route interface in /proc/net/route', () => {
    const table =
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'tspod0\t0000CB0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n' +
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n';
    expect(defaultRouteInterface(table)).toBe('eth0');
    expect(defaultRouteInterface('Iface\tDestination\n')).toBeUndefined();
  });

  it('lists the default interface first, IPv4 before IPv6, without loopback or link-local', () => {
    const a = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
      ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;
    const interfaces = {
      lo: [a('127.0.0.1', 'IPv4', true), a('::1', 'IPv6', true)],
      tspod0: [a('10.203.0.1', 'IPv4'), a('fe80::1', 'IPv6')],
      eth0: [a('192.0.2.2', 'IPv4'), a('fd00::2', 'IPv6'), a('fe80::2', 'IPv6')],
    };
    expect(hostIPs(interfaces, 'eth0')).toEqual(['192.0.2.2', '10.203.0.1', 'fd00::2']);
  });
});
