import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  missingPlugins,
  pluginVersions,
  resultIPs,
  toCurrentResult,
  type ListCall,
} from '../../../src/network/cni.js';
import type { CniResult, NetConfList } from '../../../src/network/types.js';
import { FakePlugins } from './fake-plugins.js';

const fake = new FakePlugins(['one', 'two', 'three']);
afterAll(() => fake.remove());
beforeEach(() => fake.reset());

const list: NetConfList = {
  cniVersion: '1.0.0',
  name: 'chain',
  plugins: [
    { type: 'one', ipam: { type: 'two' } },
    { type: 'two', capabilities: { portMappings: true } },
    { type: 'three' },
  ],
};
const call = (): ListCall => ({
  containerId: 'pod-uid',
  netns: '/pin',
  ifName: 'eth0',
  args: [['K8S_POD_NAME', 'p']],
  pluginDirs: [fake.dir],
});
const ports = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] };

describe('ADD through a list', () => {
  it('runs plugins in order, each with the previous result, and returns the last', async () => {
    const seen: [number, string[]][] = [];
    const result = await addNetworkList(list, call(), ports, async (r, i) => {
      seen.push([i, (r.interfaces ?? []).map((x) => x.name)]);
    });
    expect(fake.sequence()).toEqual(['one:ADD', 'two:ADD', 'three:ADD']);
    const calls = fake.calls();
    expect(calls[0].stdin.prevResult).toBeUndefined();
    expect((calls[1].stdin.prevResult as CniResult).interfaces?.map((x) => x.name)).toEqual([
      'host-side',
      'eth0',
      'by-one',
    ]);
    expect((calls[2].stdin.prevResult as CniResult).interfaces?.map((x) => x.name)).toEqual([
      'host-side',
      'eth0',
      'by-one',
      'by-two',
    ]);
    expect(result.interfaces?.map((x) => x.name)).toEqual(['host-side', 'eth0', 'by-one', 'by-two', 'by-three']);
    expect(seen.map(([i, names]) => [i, names.length])).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(calls[0].stdin.runtimeConfig).toBeUndefined();
    expect(calls[1].stdin.runtimeConfig).toEqual(ports);
  });

  it('stops at the first failure', async () => {
    fake.failOn('two:ADD');
    await expect(addNetworkList(list, call(), {}, async () => {})).rejects.toMatchObject({
      plugin: 'two',
      command: 'ADD',
      code: 7,
    });
    expect(fake.sequence()).toEqual(['one:ADD', 'two:ADD']);
  });
});

describe('DEL through a list', () => {
  const stored: CniResult = { cniVersion: '1.0.0', ips: [{ address: '10.1.2.3/24' }] };

  it('runs plugins in reverse order, each with the stored ADD result', async () => {
    await delNetworkList(list, call(), ports, stored);
    expect(fake.sequence()).toEqual(['three:DEL', 'two:DEL', 'one:DEL']);
    for (const c of fake.calls()) expect(c.stdin.prevResult).toEqual(stored);
    expect(fake.calls()[1].stdin.runtimeConfig).toEqual(ports);
  });

  it('passes no prevResult when ADD never produced one', async () => {
    await delNetworkList(list, { ...call(), netns: '' }, {}, null);
    for (const c of fake.calls()) {
      expect(c.stdin.prevResult).toBeUndefined();
      expect(c.env.CNI_NETNS).toBe('');
    }
  });

  it('still calls every plugin when some fail, then reports all failures', async () => {
    fake.failOn('three:DEL', 'one:DEL');
    const err = await delNetworkList(list, call(), {}, stored).catch((e: unknown) => e);
    expect(fake.sequence()).toEqual(['three:DEL', 'two:DEL', 'one:DEL']);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: { plugin: string }) => e.plugin)).toEqual(['three', 'one']);
    expect((err as Error).message).toContain('cni DEL on network "chain"');
  });

  it('throws a single failure as it is', async () => {
    fake.failOn('two:DEL');
    await expect(delNetworkList(list, call(), {}, stored)).rejects.toMatchObject({ name: 'CniError', plugin: 'two' });
  });
});

describe('CHECK and VERSION', () => {
  it('runs CHECK in order with the ADD result, unless the list disables it', async () => {
    const r: CniResult = { cniVersion: '1.0.0' };
    await checkNetworkList(list, call(), {}, r);
    expect(fake.sequence()).toEqual(['one:CHECK', 'two:CHECK', 'three:CHECK']);
    fake.reset();
    await checkNetworkList({ ...list, disableCheck: true }, call(), {}, r);
    expect(fake.sequence()).toEqual([]);
  });

  it('asks a plugin for its versions', async () => {
    expect(await pluginVersions('one', [fake.dir])).toEqual(['0.4.0', '1.0.0']);
  });

  it('lists plugins that are not installed', () => {
    expect(missingPlugins(['one', 'bridge', 'three', 'host-local'], [fake.dir])).toEqual(['bridge', 'host-local']);
  });
});

describe('results', () => {
  it('converts a 0.2.0 result to the ips[] shape', () => {
    const r = toCurrentResult({ cniVersion: '0.2.0', ip4: { ip: '10.0.0.5/24', gateway: '10.0.0.1' }, dns: {} });
    expect(r).toEqual({ cniVersion: '0.2.0', dns: {}, ips: [{ address: '10.0.0.5/24', gateway: '10.0.0.1' }] });
  });

  it('takes the addresses in the pod namespace, without prefix length, in order', () => {
    const r: CniResult = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'tspod0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/pin' }],
      ips: [
        { address: '10.203.0.7/16', gateway: '10.203.0.1', interface: 2 },
        { address: '10.203.0.1/16', interface: 0 },
        { address: 'fd00::7/64', interface: 2 },
      ],
    };
    expect(resultIPs(r)).toEqual(['10.203.0.7', 'fd00::7']);
    expect(resultIPs({ cniVersion: '1.0.0', ips: [{ address: '10.1.1.1/8' }] })).toEqual(['10.1.1.1']);
    expect(resultIPs(null)).toEqual([]);
  });
});
