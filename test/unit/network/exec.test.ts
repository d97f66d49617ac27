import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CniError,
  execPlugin,
  findPlugin,
  formatCniArgs,
  pluginEnv,
  pluginFailure,
  pluginStdin,
  type PluginCall,
} from '../../../src/network/exec.js';
import type { NetConfList } from '../../../src/network/types.js';
import { FakePlugins } from './fake-plugins.js';

const list: NetConfList = {
  cniVersion: '1.0.0',
  name: 'net1',
  plugins: [
    { type: 'bridge', bridge: 'br9' },
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
  ],
};

const call: PluginCall = {
  command: 'ADD',
  containerId: 'c0ffee',
  netns: '/run/tspod/netns/web',
  ifName: 'eth0',
  args: [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAME', 'web'],
  ],
  pluginDirs: ['/x/cni', '/y/cni'],
};

describe('pluginEnv', () => {
  it('sets the CNI_* variables of the call', () => {
    const env = pluginEnv(call, { PATH: '/usr/bin', HOME: '/root' });
    expect(env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c0ffee',
      CNI_NETNS: '/run/tspod/netns/web',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web',
      CNI_PATH: '/x/cni:/y/cni',
      HOME: '/root',
    });
  });

  it('drops CNI_* variables inherited from tspod, and makes sure iptables can be found', () => {
    const env = pluginEnv(call, { PATH: '/usr/bin', CNI_FOO: 'x', CNI_NETNS: '/wrong' });
    expect(env.CNI_FOO).toBeUndefined();
    expect(env.CNI_NETNS).toBe('/run/tspod/netns/web');
    expect(env.PATH.split(':')).toEqual(expect.arrayContaining(['/usr/bin', '/usr/sbin', '/sbin']));
    expect(env.PATH.startsWith('/usr/bin:')).toBe(true);
  });

  it('formats CNI_ARGS as key=value pairs separated by ;', () => {
    expect(
      formatCniArgs([
        ['A', '1'],
        ['B', 'x=y'],
      ]),
    ).toBe('A=1;B=x=y');
    expect(formatCniArgs([])).toBe('');
  });
});

describe('pluginStdin', () => {
  it('adds the list name and version to the plugin configuration', () => {
    expect(pluginStdin(list, list.plugins[0], {})).toEqual({
      type: 'bridge',
      bridge: 'br9',
      cniVersion: '1.0.0',
      name: 'net1',
    });
  });

  it('passes capability arguments only to plugins that declare the capability', () => {
    const capabilityArgs = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], bandwidth: {} };
    expect(pluginStdin(list, list.plugins[0], { capabilityArgs }).runtimeConfig).toBeUndefined();
    expect(pluginStdin(list, list.plugins[1], { capabilityArgs }).runtimeConfig).toEqual({
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    });
  });

  it('passes prevResult when there is one', () => {
    const prevResult = { cniVersion: '1.0.0', ips: [] };
    expect(pluginStdin(list, list.plugins[1], { prevResult }).prevResult).toBe(prevResult);
    expect('prevResult' in pluginStdin(list, list.plugins[1], {})).toBe(false);
  });
});

describe('plugin errors', () => {
  it('turns a CNI error object into a CniError naming plugin, command, network, code and message', () => {
    const stdout = JSON.stringify({ cniVersion: '1.0.0', code: 11, msg: 'try again later', details: 'lock busy' });
    const err = pluginFailure('bridge', 'ADD', 'net1', { status: 1, signal: null, stdout, stderr: '' });
    expect(err).toBeInstanceOf(CniError);
    expect(err).toMatchObject({
      plugin: 'bridge',
      command: 'ADD',
      network: 'net1',
      code: 11,
      msg: 'try again later',
      details: 'lock busy',
    });
    expect(err.message).toBe('cni plugin "bridge" ADD on network "net1" failed (code 11): try again later: lock busy');
  });

  it('falls back to stderr and the exit status when there is no error object', () => {
    const err = pluginFailure('portmap', 'DEL', 'net1', {
      status: 2,
      signal: null,
      stdout: '',
      stderr: 'panic: nil map\n',
    });
    expect(err.message).toBe('cni plugin "portmap" DEL on network "net1" failed: exit status 2, panic: nil map');
    expect(err.code).toBeUndefined();
  });
});

describe('execPlugin', () => {
  const fake = new FakePlugins(['bridge', 'portmap']);
  beforeEach(() => fake.reset());
  afterAll(() => fake.remove());

  it('runs the plugin with the environment and stdin, and parses its result', async () => {
    const c = { ...call, pluginDirs: ['/nonexistent', fake.dir] };
    const stdin = pluginStdin(list, list.plugins[0], {});
    const out = (await execPlugin(list, list.plugins[0], c, stdin)) as { ips: unknown[] };
    expect(out.ips).toEqual([{ address: '10.1.2.3/24', interface: 1 }]);
    const [logged] = fake.calls();
    expect(logged.stdin).toEqual(stdin);
    expect(logged.env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c0ffee',
      CNI_PATH: `/nonexistent:${fake.dir}`,
    });
  });

  it('reports the plugin error with its code', async () => {
    fake.failOn('bridge:ADD');
    const c = { ...call, pluginDirs: [fake.dir] };
    await expect(execPlugin(list, list.plugins[0], c, {})).rejects.toMatchObject({
      name: 'CniError',
      code: 7,
      message: 'cni plugin "bridge" ADD on network "net1" failed (code 7): bridge refused: by request',
    });
  });

  it('says where it looked for a plugin that is not installed', async () => {
    await expect(execPlugin(list, { type: 'vlan' }, { ...call, pluginDirs: ['/a', '/b'] }, {})).rejects.toThrow(
      'cni plugin "vlan" of network "net1" is not installed in /a, /b',
    );
  });

  it('never looks a plugin type up as a path', () => {
    expect(findPlugin('../bridge', [fake.dir + '/sub'])).toBeUndefined();
    expect(findPlugin('bridge', [fake.dir])).toBe(`${fake.dir}/bridge`);
  });
});
