import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BUILT_IN,
  builtinHostRules,
  builtinNetwork,
  checkBridge,
  checkSubnet,
  cniSettings,
  loadNetwork,
  parseConfigFile,
  pluginTypes,
  podChain,
  scanConfigDirs,
  type CniSettings,
} from '../../../src/network/config.js';

describe('cniSettings', () => {
  it('defaults to /etc/cni/net.d, /usr/lib/cni and /opt/cni/bin, 10.203.0.0/16 and bridge tspod0', () => {
    expect(cniSettings({})).toEqual({
      configDirs: ['/etc/cni/net.d'],
      pluginDirs: ['/usr/lib/cni', '/opt/cni/bin'],
      subnet: '10.203.0.0/16',
      ipamDir: undefined,
      bridge: 'tspod0',
    });
  });

  it('takes TSPOD_CNI_CONFIG_DIR, TSPOD_CNI_PATH (colon lists), TSPOD_SUBNET, TSPOD_IPAM_DIR and TSPOD_BRIDGE', () => {
    const env = {
      TSPOD_CNI_CONFIG_DIR: '/a:/b',
      TSPOD_CNI_PATH: '/p',
      TSPOD_SUBNET: '10.9.0.0/24',
      TSPOD_IPAM_DIR: '/i',
      TSPOD_BRIDGE: 'br9',
    };
    expect(cniSettings(env)).toEqual({
      configDirs: ['/a', '/b'],
      pluginDirs: ['/p'],
      subnet: '10.9.0.0/24',
      ipamDir: '/i',
      bridge: 'br9',
    });
  });

  it('lets explicit settings win over the environment', () => {
    expect(cniSettings({ TSPOD_CNI_PATH: '/p' }, { pluginDirs: ['/q'] }).pluginDirs).toEqual(['/q']);
  });
});

describe('builtinNetwork', () => {
  const settings: CniSettings = { configDirs: [], pluginDirs: [], subnet: '10.203.0.0/16', bridge: 'tspod0' };

  it('is bridge tspod0 (gateway, hairpin, no per-pod masquerade) with host-local, then portmap', () => {
    expect(builtinNetwork(settings)).toEqual({
      cniVersion: '1.0.0',
      name: 'tspod',
      plugins: [
        {
          type: 'bridge',
          bridge: 'tspod0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.203.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    });
  });

  it('has host rules for its subnet and bridge, keyed to its lease store', () => {
    expect(builtinHostRules(settings)).toEqual({
      network: 'tspod',
      subnet: '10.203.0.0/16',
      bridge: 'tspod0',
      leaseDir: '/var/lib/cni/networks/tspod',
    });
    expect(builtinHostRules({ ...settings, ipamDir: '/x', bridge: 'br1', subnet: '10.1.0.0/24' })).toEqual({
      network: 'tspod',
      subnet: '10.1.0.0/24',
      bridge: 'br1',
      leaseDir: '/x/tspod',
    });
  });

  it('uses the configured bridge, and refuses a name that is no interface name', () => {
    expect(builtinNetwork({ ...settings, bridge: 'br-test' }).plugins[0].bridge).toBe('br-test');
    expect(() => checkBridge('a/b')).toThrow('TSPOD_BRIDGE: "a/b" is not an interface name');
    expect(() => checkBridge('sixteen-chars-xx')).toThrow(/not an interface name/);
    expect(() => checkBridge('')).toThrow(/not an interface name/);
    expect(() => checkBridge('..')).toThrow(/not an interface name/);
    expect(() => checkBridge('tspod0')).not.toThrow();
  });

  it('uses the configured subnet and IPAM directory', () => {
    const ipam = builtinNetwork({ ...settings, subnet: '172.31.5.0/24', ipamDir: '/x' }).plugins[0].ipam;
    expect(ipam).toMatchObject({ ranges: [[{ subnet: '172.31.5.0/24' }]], dataDir: '/x' });
  });

  it('refuses a subnet that is not an IPv4 network', () => {
    expect(() => checkSubnet('10.203.0.1/16')).toThrow('subnet "10.203.0.1/16" has host bits set');
    expect(() => checkSubnet('10.300.0.0/16')).toThrow(/not an IPv4 network/);
    expect(() => checkSubnet('10.0.0.0/31')).toThrow(/not an IPv4 network/);
    expect(() => checkSubnet('fd00::/64')).toThrow(/not an IPv4 network/);
    expect(() => checkSubnet('10.0.0.0/8')).not.toThrow();
  });
});

describe('parseConfigFile', () => {
  it('reads a single-plugin .conf as a list of one, moving name and cniVersion to the list', () => {
    const text = JSON.stringify({ cniVersion: '0.4.0', name: 'n', type: 'ptp', ipam: { type: 'static' } });
    expect(parseConfigFile('/d/n.conf', text)).toEqual({
      cniVersion: '0.4.0',
      name: 'n',
      plugins: [{ type: 'ptp', ipam: { type: 'static' } }],
    });
  });

  it('reads a .conflist, keeping disableCheck', () => {
    const text = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'n',
      disableCheck: true,
      plugins: [{ type: 'a' }, { type: 'b' }],
    });
    expect(parseConfigFile('/d/n.conflist', text)).toEqual({
      cniVersion: '1.0.0',
      name: 'n',
      disableCheck: true,
      plugins: [{ type: 'a' }, { type: 'b' }],
    });
  });

  it('names what is wrong', () => {
    expect(() => parseConfigFile('x.conflist', '{"name":"n","plugins":[]}')).toThrow(
      '"plugins" must be a non-empty list',
    );
    expect(() => parseConfigFile('x.conflist', '{"name":"n","plugins":[{}]}')).toThrow('plugins[0] has no "type"');
    expect(() => parseConfigFile('x.conf', '{"name":"n"}')).toThrow('the configuration has no "type"');
    expect(() => parseConfigFile('x.conf', '{"type":"t"}')).toThrow('missing or invalid "name"');
    expect(() => parseConfigFile('x.conf', '[1]')).toThrow('not a JSON object');
  });
});

describe('loading networks from directories', () => {
  let dir: string;
  let dir2: string;
  const write = (d: string, name: string, obj: unknown) => fs.writeFileSync(path.join(d, name), JSON.stringify(obj));
  const settings = (): CniSettings => ({ configDirs: [dir, dir2], pluginDirs: [], subnet: '10.203.0.0/16' });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-netconf-'));
    dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-netconf-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dir2, { recursive: true, force: true });
  });

  it('reads .conf, .conflist and .json in name order, ignores other files, reports broken ones', async () => {
    write(dir, '20-b.conflist', { cniVersion: '1.0.0', name: 'b', plugins: [{ type: 'bridge' }] });
    write(dir, '10-a.conf', { cniVersion: '1.0.0', name: 'a', type: 'ptp' });
    write(dir, '30-c.json', { cniVersion: '1.0.0', name: 'c', type: 'macvlan' });
    write(dir, '40-d.txt', { cniVersion: '1.0.0', name: 'd', type: 'x' });
    fs.writeFileSync(path.join(dir, '50-e.conf'), '{ not json');
    const scan = await scanConfigDirs([dir, '/nonexistent-tspod-dir']);
    expect(scan.networks.map((n) => [n.list.name, path.basename(n.source)])).toEqual([
      ['a', '10-a.conf'],
      ['b', '20-b.conflist'],
      ['c', '30-c.json'],
    ]);
    expect(scan.problems).toHaveLength(1);
    expect(scan.problems[0]).toContain('50-e.conf');
  });

  it('takes the first file defining a name, across directories in order', async () => {
    write(dir, '50-x.conflist', { cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'first' }] });
    write(dir, '90-x.conflist', { cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'second' }] });
    write(dir2, '00-x.conflist', { cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'third' }] });
    const net = await loadNetwork('x', settings());
    expect(net.list.plugins[0].type).toBe('first');
    expect(net.source).toBe(path.join(dir, '50-x.conflist'));
  });

  it('uses the built-in tspod network unless a file defines tspod', async () => {
    expect((await loadNetwork('tspod', settings())).source).toBe(BUILT_IN);
    write(dir2, 'my.conflist', { cniVersion: '1.0.0', name: 'tspod', plugins: [{ type: 'ptp' }] });
    const net = await loadNetwork('tspod', settings());
    expect(net.source).toBe(path.join(dir2, 'my.conflist'));
    expect(net.list.plugins.map((p) => p.type)).toEqual(['ptp']);
  });

  it('says which networks exist when the name is unknown', async () => {
    write(dir, 'a.conflist', { cniVersion: '1.0.0', name: 'alpha', plugins: [{ type: 'bridge' }] });
    await expect(loadNetwork('beta', settings())).rejects.toThrow(
      `network "beta" is not defined in ${dir}, ${dir2} (known: tspod, none, alpha)`,
    );
  });

  it('refuses a name the CNI specification does not allow', async () => {
    await expect(loadNetwork('../etc', settings())).rejects.toThrow('network name "../etc" is not valid');
  });
});

describe('pluginTypes', () => {
  it('lists the plugins and the IPAM plugins they delegate to, once each', () => {
    const list = {
      cniVersion: '1.0.0',
      name: 'n',
      plugins: [{ type: 'bridge', ipam: { type: 'host-local' } }, { type: 'portmap' }, { type: 'bridge' }],
    };
    expect(pluginTypes(list)).toEqual(['bridge', 'host-local', 'portmap']);
  });
});

describe('podChain', () => {
  const settings: CniSettings = { configDirs: [], pluginDirs: [], subnet: '10.203.0.0/16', bridge: 'tspod0' };
  const builtIn = { list: builtinNetwork(settings), source: BUILT_IN };
  const port = { hostPort: 8080, containerPort: 80, protocol: 'tcp' as const };

  it('is the bridge alone on the built-in network for a pod without hostPort', () => {
    expect(podChain(builtIn, []).plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(pluginTypes(podChain(builtIn, []))).toEqual(['bridge', 'host-local']);
  });

  it('keeps portmap on the built-in network when the pod maps a hostPort', () => {
    expect(podChain(builtIn, [port]).plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
  });

  it("runs a configuration file's list as written, with or without hostPorts", () => {
    const list = {
      cniVersion: '1.0.0',
      name: 'tspod',
      plugins: [{ type: 'bridge' }, { type: 'portmap' }, { type: 'firewall' }],
    };
    const fromFile = { list, source: '/etc/cni/net.d/10-tspod.conflist' };
    expect(podChain(fromFile, [])).toBe(list);
    expect(podChain(fromFile, [port])).toBe(list);
  });
});
