import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  attachPod,
  chooseNetwork,
  detachPod,
  portMappings,
  type AttachOptions,
  type NetworkAttachment,
} from '../../../src/network/index.js';
import type { MountOps } from '../../../src/network/netns.js';
import { tryLockDir } from '../../../src/network/host-rules.js';
import { FakeIptables } from './fake-iptables.js';
import { FakePlugins } from './fake-plugins.js';

/** The built-in network's plugins, faked; pinning and iptables are recorded, not done (no root needed). */
const fake = new FakePlugins(['bridge', 'host-local', 'portmap', 'firewall']);
const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-run-'));
const ipamDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-ipam-'));
afterAll(() => {
  fake.remove();
  fs.rmSync(runRoot, { recursive: true, force: true });
  fs.rmSync(ipamDir, { recursive: true, force: true });
});

let events: string[];
let records: NetworkAttachment[];
let iptables: FakeIptables;
const mountOps: MountOps = {
  mount: (source, target, _fstype, flags) => void events.push(`mount ${source} ${target} ${flags.join(',')}`),
  umount: (target) => void events.push(`umount ${target}`),
};

function options(over: Partial<AttachOptions> = {}): AttachOptions {
  return {
    runRoot,
    podName: 'web',
    podUid: '0b1c-uid',
    namespace: 'default',
    infraPid: 4242,
    network: 'tspod',
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    record: async (a) => {
      events.push(`record ${a.result ? a.result.interfaces?.length : 'empty'}`);
      records.push(structuredClone(a));
    },
    warn: (msg) => void events.push(`warn ${msg}`),
    settings: { pluginDirs: [fake.dir], configDirs: ['/nonexistent-tspod'], ipamDir },
    mountOps,
    iptablesOps: iptables,
    ...over,
  };
}

beforeEach(() => {
  fake.reset();
  events = [];
  records = [];
  iptables = new FakeIptables();
});

describe('attachPod', () => {
  it('records the attachment before pinning and before ADD, then after each plugin', async () => {
    const a = await attachPod(options());
    const pin = path.join(runRoot, 'netns', 'web');
    expect(events).toEqual(['record empty', `mount /proc/4242/ns/net ${pin} BIND`, 'record 3', 'record 4']);
    expect(records[0]).toMatchObject({
      network: 'tspod',
      source: 'built-in',
      containerId: '0b1c-uid',
      netnsPin: pin,
      result: null,
      ips: [],
    });
    expect(fake.sequence()).toEqual(['bridge:ADD', 'portmap:ADD']);
    expect(a).toMatchObject({
      ifName: 'eth0',
      ips: ['10.1.2.3'],
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    });
    expect(a?.config.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
  });

  it("runs the bridge alone for a pod without hostPort, the network's rules installed once", async () => {
    const a = (await attachPod(options({ portMappings: [] }))) as NetworkAttachment;
    expect(fake.sequence()).toEqual(['bridge:ADD']);
    expect(a.config.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(a.config.plugins[0]).toMatchObject({ ipMasq: false, isGateway: true });
    expect(a.hostRules).toEqual({
      network: 'tspod',
      subnet: '10.203.0.0/16',
      bridge: 'tspod0',
      leaseDir: path.join(ipamDir, 'tspod'),
    });
    // checked alongside ADD; found missing, installed after it (looked for again under each lock)
    const checks = ['check nat', 'check filter'];
    expect(iptables.log).toEqual([...checks, ...checks, ...checks, 'restore nat,filter', ...checks]);
    iptables.log.length = 0;
    await attachPod(options({ portMappings: [], podName: 'second' }));
    expect(iptables.log).toEqual(['check nat', 'check filter']);
  });

  it('releases the lease store once ADD is done, and after a failed ADD', async () => {
    const leaseDir = path.join(ipamDir, 'tspod');
    await attachPod(options({ portMappings: [] }));
    const free = async () => {
      const release = tryLockDir(leaseDir, 'ex');
      release?.();
      return release !== null;
    };
    expect(await free()).toBe(true);
    fake.failOn('bridge:ADD');
    await expect(attachPod(options({ portMappings: [], podName: 'failing' }))).rejects.toThrow(
      'attaching pod "failing"',
    );
    expect(await free()).toBe(true);
  });

  it('waits for the lease store before ADD while gc holds it, so nothing is removed under the bridge plugin', async () => {
    const leaseDir = path.join(ipamDir, 'tspod');
    fs.mkdirSync(leaseDir, { recursive: true });
    iptables.installed.add('nat').add('filter');
    const gc = tryLockDir(leaseDir, 'ex');
    expect(gc).not.toBeNull();
    const attached = attachPod(options({ portMappings: [], podName: 'waiting' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(['record empty']); // not pinned, no plugin run
    expect(fake.sequence()).toEqual([]);
    gc?.();
    await attached;
    expect(fake.sequence()).toEqual(['bridge:ADD']);
  });

  it('leaves the iptables alone on a network from a configuration file', async () => {
    const conf = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-conf-'));
    const list = {
      cniVersion: '1.0.0',
      name: 'tspod',
      plugins: [
        { type: 'bridge', ipMasq: true },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    };
    fs.writeFileSync(path.join(conf, 'tspod.conflist'), JSON.stringify(list));
    const a = (await attachPod(
      options({ portMappings: [], settings: { pluginDirs: [fake.dir], configDirs: [conf], ipamDir } }),
    )) as NetworkAttachment;
    expect(fake.sequence()).toEqual(['bridge:ADD', 'portmap:ADD']);
    expect(a.hostRules).toBeUndefined();
    expect(iptables.log).toEqual([]);
    fs.rmSync(conf, { recursive: true });
  });

  it('gives the plugins the pin, the pod uid, eth0 and the Kubernetes CNI_ARGS', async () => {
    await attachPod(options());
    const env = fake.calls()[0].env;
    expect(env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: '0b1c-uid',
      CNI_NETNS: path.join(runRoot, 'netns', 'web'),
      CNI_IFNAME: 'eth0',
      CNI_ARGS:
        'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=0b1c-uid;K8S_POD_UID=0b1c-uid',
      CNI_PATH: fake.dir,
    });
  });

  it('does nothing for the network "none"', async () => {
    expect(await attachPod(options({ network: 'none' }))).toBeNull();
    expect(events).toEqual([]);
  });

  it('undoes a failed ADD (DEL of the whole list in reverse, unpin) and reports the plugin error', async () => {
    fake.failOn('portmap:ADD');
    const err = (await attachPod(options()).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('attaching pod "web" to network "tspod"');
    expect((err.cause as Error).message).toBe(
      'cni plugin "portmap" ADD on network "tspod" failed (code 7): portmap refused: by request',
    );
    expect(fake.sequence()).toEqual(['bridge:ADD', 'portmap:ADD', 'portmap:DEL', 'bridge:DEL']);
    // the DEL gets the last result ADD produced
    expect(fake.calls()[2].stdin.prevResult).toEqual(records.at(-1)?.result);
    expect(fs.existsSync(path.join(runRoot, 'netns', 'web'))).toBe(false);
  });
});

describe('attachPod without CNI plugins', () => {
  it('warns once, with what to install, and returns null for the built-in network', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-nocni-'));
    const settings = { pluginDirs: [empty], configDirs: ['/nonexistent-tspod'], ipamDir };
    expect(await attachPod(options({ settings }))).toBeNull();
    expect(await attachPod(options({ settings, podName: 'other' }))).toBeNull();
    expect(events).toEqual([
      `warn cni plugins bridge, host-local, portmap are not installed in ${empty}: pods get only a loopback interface and no IP address; for pod IPs, install them (apt-get install containernetworking-plugins)`,
    ]);
    fs.rmSync(empty, { recursive: true });
  });

  it('fails for a network defined in a file', async () => {
    const conf = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-conf-'));
    fs.writeFileSync(
      path.join(conf, 'x.conflist'),
      JSON.stringify({ cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'macvlan' }] }),
    );
    const settings = { pluginDirs: [fake.dir], configDirs: [conf] };
    await expect(attachPod(options({ settings, network: 'x' }))).rejects.toThrow(
      `network "x" (${conf}/x.conflist): cni plugins macvlan are not installed in ${fake.dir}`,
    );
    fs.rmSync(conf, { recursive: true });
  });
});

describe('detachPod', () => {
  it('runs DEL in reverse with the stored result, and is idempotent', async () => {
    const a = (await attachPod(options())) as NetworkAttachment;
    fake.reset();
    await detachPod(a, { settings: { pluginDirs: [fake.dir] }, mountOps });
    await detachPod(a, { settings: { pluginDirs: [fake.dir] }, mountOps });
    expect(fake.sequence()).toEqual(['portmap:DEL', 'bridge:DEL', 'portmap:DEL', 'bridge:DEL']);
    for (const c of fake.calls()) expect(c.stdin.prevResult).toEqual(a.result);
    // nothing is mounted in this test, so the plugins are told there is no namespace left
    expect(fake.calls()[0].env.CNI_NETNS).toBe('');
    expect(fake.calls()[0].stdin.runtimeConfig).toEqual({ portMappings: a.portMappings });
  });

  it('keeps going through the list and reports failures', async () => {
    const a = (await attachPod(options())) as NetworkAttachment;
    fake.reset();
    fake.failOn('portmap:DEL');
    await expect(detachPod(a, { settings: { pluginDirs: [fake.dir] }, mountOps })).rejects.toThrow(
      'detaching pod "web" from network "tspod"',
    );
    expect(fake.sequence()).toEqual(['portmap:DEL', 'bridge:DEL']);
  });
});

describe('chooseNetwork', () => {
  it('prefers --network, then the tspod.io/network annotation, then tspod', () => {
    expect(chooseNetwork('none', { 'tspod.io/network': 'x' })).toBe('none');
    expect(chooseNetwork(undefined, { 'tspod.io/network': 'x' })).toBe('x');
    expect(chooseNetwork(undefined, { other: 'y' })).toBe('tspod');
    expect(chooseNetwork(undefined, undefined)).toBe('tspod');
  });

  it('names where a bad name came from', () => {
    expect(() => chooseNetwork('a/b', undefined)).toThrow('--network: network name "a/b" is not valid');
    expect(() => chooseNetwork(undefined, { 'tspod.io/network': '' })).toThrow(
      'metadata.annotations[tspod.io/network]: network name "" is not valid',
    );
  });
});

describe('portMappings', () => {
  it('maps container ports that have a hostPort, lower-casing the protocol', () => {
    const containers = [
      {
        ports: [
          { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
          { containerPort: 9090, protocol: 'TCP' },
        ],
      },
      { ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' }] },
      { ports: [{ containerPort: 81, hostPort: 8081, protocol: 'TCP', hostIP: '0.0.0.0' }] },
      {},
    ];
    expect(portMappings(containers)).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
      { hostPort: 8081, containerPort: 81, protocol: 'tcp' },
    ]);
  });

  it('maps nothing for a hostNetwork pod', () => {
    expect(portMappings([{ ports: [{ containerPort: 80, hostPort: 80, protocol: 'TCP' }] }], true)).toEqual([]);
  });
});
