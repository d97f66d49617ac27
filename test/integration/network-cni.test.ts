/**
 * Pods on the built-in `tspod` network, through the real CNI plugins: two namespaces reach each
 * other, the host reaches a pod's HTTP server at its IP and through a hostPort, and every trace of
 * an attachment (veth, lease, iptables rules, netns pin) is gone after detach, also when the
 * process holding the namespace was killed first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { missingPlugins } from '../../src/network/cni.js';
import { builtinNetwork, cniSettings, pluginTypes } from '../../src/network/config.js';
import { checkPod, detachPod, hostIPs, type NetworkAttachment } from '../../src/network/index.js';
import { isPinned } from '../../src/network/netns.js';
import {
  attach,
  CLEAN,
  cleanup,
  hostVethOf,
  hostVeths,
  httpGet,
  inNetns,
  leftovers,
  NetnsHolder,
  run,
  serveInNetns,
  testPod,
} from './network-helpers.js';

const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-net-'));
const www = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-www-'));
let holders: NetnsHolder[] = [];
let attachments: NetworkAttachment[] = [];
let servers: { kill(): boolean }[] = [];

async function pod(over: Parameters<typeof testPod>[1] = {}) {
  const holder = await NetnsHolder.start();
  holders.push(holder);
  const a = await attach(holder, testPod(runRoot, over));
  attachments.push(a);
  return { holder, a };
}

/** busybox httpd serving `www` inside the pod; resolves once it answers on the pod IP. */
async function serve(a: NetworkAttachment, port: number): Promise<void> {
  servers.push(serveInNetns(a.netnsPin, ['busybox', 'httpd', '-f', '-p', `0.0.0.0:${port}`, '-h', www]));
  for (let i = 0; i < 100; i++) {
    if (await httpGet(`http://${a.ips[0]}:${port}/index.html`).catch(() => null)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`httpd in pod ${a.ips[0]} did not start`);
}

beforeAll(() => {
  expect(process.getuid?.(), 'network integration tests need root').toBe(0);
  fs.writeFileSync(path.join(www, 'index.html'), 'hello from the pod\n');
});

afterEach(async () => {
  for (const s of servers) s.kill();
  await cleanup(attachments, holders);
  for (const a of attachments) expect(await leftovers(a, [])).toMatchObject({ mounts: [], pinFile: false, leases: [] });
  servers = [];
  holders = [];
  attachments = [];
});

afterAll(() => {
  fs.rmSync(runRoot, { recursive: true, force: true });
  fs.rmSync(www, { recursive: true, force: true });
});

describe('the tspod network', () => {
  it('has its CNI plugins installed', () => {
    const s = cniSettings();
    expect(
      missingPlugins(pluginTypes(builtinNetwork(s)), s.pluginDirs),
      'apt-get install containernetworking-plugins',
    ).toEqual([]);
  });

  it('gives a pod an address in the subnet on eth0, and pins its namespace', async () => {
    const { holder, a } = await pod();
    expect(a.ips).toHaveLength(1);
    expect(a.ips[0]).toMatch(/^10\.203\.\d+\.\d+$/);
    expect(await isPinned(a.netnsPin)).toBe(true);
    expect(fs.statSync(a.netnsPin).ino).toBe(fs.statSync(`/proc/${holder.pid}/ns/net`).ino);
    const addrs = JSON.parse(await inNetns(a.netnsPin, ['ip', '-j', '-4', 'addr', 'show', 'eth0'])) as {
      addr_info: { local: string }[];
    }[];
    expect(addrs[0].addr_info.map((x) => x.local)).toEqual(a.ips);
    expect(await inNetns(a.netnsPin, ['ip', 'route', 'show', 'default'])).toMatch(
      /^default via 10\.203\.0\.1 dev eth0/,
    );
    await checkPod(a);
  });

  it('lets two pods reach each other by pod IP', async () => {
    const { a: first } = await pod();
    const { a: second } = await pod();
    expect(first.ips[0]).not.toBe(second.ips[0]);
    await inNetns(first.netnsPin, ['busybox', 'ping', '-c', '1', '-W', '2', second.ips[0]]);
    await serve(second, 8000);
    expect(
      await inNetns(first.netnsPin, ['busybox', 'wget', '-q', '-O', '-', `http://${second.ips[0]}:8000/index.html`]),
    ).toBe('hello from the pod\n');
  });

  it('lets the host reach a pod server at the pod IP', async () => {
    const { a } = await pod();
    await serve(a, 80);
    expect(await httpGet(`http://${a.ips[0]}/index.html`)).toBe('hello from the pod\n');
  });

  it('forwards a hostPort to the pod, on loopback and on the host address', async () => {
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    const { a } = await pod({ portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] });
    await serve(a, 80);
    expect(await httpGet(`http://127.0.0.1:${hostPort}/index.html`)).toBe('hello from the pod\n');
    expect(await httpGet(`http://${hostIPs()[0]}:${hostPort}/index.html`)).toBe('hello from the pod\n');
    expect((await run('iptables-save', ['-t', 'nat'])).stdout).toContain(`--to-destination ${a.ips[0]}:80`);
  });

  it('leaves nothing behind after detach (veth, lease, iptables rules, pin), and detach can be repeated', async () => {
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    const { a } = await pod({ portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] });
    const veths = hostVeths(a);
    expect(veths).toEqual([await hostVethOf(a.netnsPin)]);
    const before = await leftovers(a, veths);
    expect(before.veths).toEqual(veths);
    expect(before.leases).toEqual(a.ips);
    expect(before.iptables.length).toBeGreaterThan(0);
    expect(before.mounts).toEqual([a.netnsPin]);

    await detachPod(a);
    expect(await leftovers(a, veths)).toEqual(CLEAN);
    await detachPod(a);
    expect(await leftovers(a, veths)).toEqual(CLEAN);
  });

  it('releases everything when the namespace holder died before detach', async () => {
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    const { holder, a } = await pod({ portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] });
    const veths = hostVeths(a);
    holder.kill();
    await new Promise((r) => holder.child.once('exit', r));
    // the pin keeps the namespace, and so the veth, alive without any process in it
    expect((await leftovers(a, veths)).veths).toEqual(veths);
    await detachPod(a);
    expect(await leftovers(a, veths)).toEqual(CLEAN);
  });
});
