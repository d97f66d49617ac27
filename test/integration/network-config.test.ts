/**
 * Networks defined in configuration files, with the real plugins: a network of the test's own
 * (bridge, subnet and IPAM store) chosen by name, and a real plugin's error reported with its code
 * and message, the failed attach leaving nothing behind.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachPod, detachPod, type NetworkAttachment } from '../../src/network/index.js';
import { CLEAN, hostVethOf, inNetns, leftovers, NetnsHolder, run, testPod } from './network-helpers.js';

const tag = randomBytes(3).toString('hex');
const network = `tspodtest-${tag}`;
const bridge = `tspt${tag}`;
const subnet = `10.204.${randomBytes(1)[0]}.0/24`;
const confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-netconf-'));
const ipamDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-ipam-'));
const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-netcfg-'));
const holders: NetnsHolder[] = [];
const attachments: NetworkAttachment[] = [];
const settings = { configDirs: [confDir] };

beforeAll(() => {
  expect(process.getuid?.(), 'network integration tests need root').toBe(0);
  const ipam = { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir };
  const list = {
    cniVersion: '1.0.0',
    name: network,
    plugins: [
      { type: 'bridge', bridge, isGateway: true, ipMasq: true, ipam },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  fs.writeFileSync(path.join(confDir, `50-${network}.conflist`), JSON.stringify(list));
  const broken = {
    cniVersion: '1.0.0',
    name: `${network}-broken`,
    type: 'bridge',
    bridge,
    ipam: { type: 'host-local', ranges: [[{ subnet: 'nonsense' }]] },
  };
  fs.writeFileSync(path.join(confDir, `60-${network}-broken.conf`), JSON.stringify(broken));
});

afterAll(async () => {
  for (const a of attachments) await detachPod(a, { settings }).catch(() => {});
  for (const h of holders) h.kill();
  await run('ip', ['link', 'del', bridge]).catch(() => {});
  for (const d of [confDir, ipamDir, runRoot]) fs.rmSync(d, { recursive: true, force: true });
});

async function holder() {
  const h = await NetnsHolder.start();
  holders.push(h);
  return h;
}

describe('a network from a configuration file', () => {
  it('is chosen by name, with its own bridge, subnet and IPAM store', async () => {
    const h = await holder();
    const pod = testPod(runRoot, { network });
    const a = (await attachPod({
      ...pod,
      infraPid: h.pid,
      record: async () => {},
      warn: () => {},
      settings,
    })) as NetworkAttachment;
    attachments.push(a);
    expect(a.source).toBe(path.join(confDir, `50-${network}.conflist`));
    const prefix = subnet.split('.').slice(0, 3).join('.');
    expect(a.ips[0].startsWith(`${prefix}.`)).toBe(true);
    expect(fs.readdirSync(path.join(ipamDir, network))).toContain(a.ips[0]);
    expect(await inNetns(a.netnsPin, ['busybox', 'ping', '-c', '1', '-W', '2', `${prefix}.1`])).toContain(
      '1 packets received',
    );
    const veth = await hostVethOf(a.netnsPin);
    expect((await run('ip', ['-j', 'link', 'show', 'master', bridge])).stdout).toContain(veth);

    await detachPod(a, { settings });
    expect(fs.readdirSync(path.join(ipamDir, network))).not.toContain(a.ips[0]);
    expect(await leftovers(a, [veth], path.join(ipamDir, network))).toEqual(CLEAN);
  });

  it("reports a real plugin's error with its code and message, and leaves nothing behind", async () => {
    const h = await holder();
    const pod = testPod(runRoot, { network: `${network}-broken` });
    const records: NetworkAttachment[] = [];
    const warnings: string[] = [];
    const err = (await attachPod({
      ...pod,
      infraPid: h.pid,
      record: async (a) => void records.push(a),
      warn: (w) => void warnings.push(w),
      settings,
    }).catch((e: unknown) => e)) as Error;
    expect(warnings).toEqual([expect.stringContaining('(the netns pin is kept for a retry)')]);
    expect(err.message).toBe(`attaching pod "${pod.podName}" to network "${network}-broken"`);
    const cause = err.cause as { name: string; plugin: string; code: number; message: string };
    expect(cause.name).toBe('CniError');
    expect(cause.plugin).toBe('bridge');
    expect(typeof cause.code).toBe('number');
    expect(cause.message).toMatch(
      /^cni plugin "bridge" ADD on network "tspodtest-\w+-broken" failed \(code \d+\): .*nonsense/,
    );
    expect(records).toHaveLength(1);
    // DEL rejects the same configuration, so the pin is kept for a retry; force gives up on it.
    const kept = await leftovers(records[0], [], path.join(ipamDir, network));
    expect(kept).toEqual({ ...CLEAN, mounts: [records[0].netnsPin], pinFile: true });
    await expect(detachPod(records[0], { settings })).rejects.toThrow('detaching pod');
    await expect(detachPod(records[0], { settings, force: true })).rejects.toThrow('detaching pod');
    expect(await leftovers(records[0], [], path.join(ipamDir, network))).toEqual(CLEAN);
  });
});
