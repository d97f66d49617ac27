/**
 * Concurrency and crashes: pods attached at the same time get distinct addresses (host-local locks
 * its store) and all their iptables rules; an attach that stops half-way (the process died between
 * two plugins) is undone from what it had recorded, as `tspod gc` does after a SIGKILL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attachPod, detachPod, type NetworkAttachment } from '../../src/network/index.js';
import {
  attach,
  CLEAN,
  cleanup,
  hostVethOf,
  hostVeths,
  leftovers,
  NetnsHolder,
  run,
  testPod,
} from './network-helpers.js';

const N = 8;
const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-netpar-'));
let holders: NetnsHolder[] = [];
let attachments: NetworkAttachment[] = [];

beforeAll(() => expect(process.getuid?.(), 'network integration tests need root').toBe(0));
afterEach(async () => {
  await cleanup(attachments, holders);
  holders = [];
  attachments = [];
});
afterAll(() => fs.rmSync(runRoot, { recursive: true, force: true }));

describe('parallel attaches', () => {
  it(`gives ${N} pods started at once ${N} distinct addresses, and detaches them all cleanly`, async () => {
    holders = await Promise.all(Array.from({ length: N }, () => NetnsHolder.start()));
    const base = 20000 + Math.floor(Math.random() * 20000);
    const pods = holders.map((_, i) =>
      testPod(runRoot, { portMappings: [{ hostPort: base + i, containerPort: 80, protocol: 'tcp' }] }),
    );
    const results = await Promise.allSettled(holders.map((h, i) => attach(h, pods[i])));
    for (const r of results) if (r.status === 'fulfilled') attachments.push(r.value);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    const ips = attachments.map((a) => a.ips[0]);
    expect(new Set(ips).size).toBe(N);
    const nat = (await run('iptables-save', ['-t', 'nat'])).stdout;
    for (const a of attachments) expect(nat).toContain(`--to-destination ${a.ips[0]}:80`);

    const veths = attachments.map(hostVeths);
    await Promise.all(attachments.map((a) => detachPod(a)));
    for (const [i, a] of attachments.entries()) expect(await leftovers(a, veths[i])).toEqual(CLEAN);
  });
});

describe('an attach interrupted between two plugins', () => {
  it('is undone from the last recorded state', async () => {
    const holder = await NetnsHolder.start();
    holders.push(holder);
    const pod = testPod(runRoot, {
      portMappings: [{ hostPort: 20000 + Math.floor(Math.random() * 20000), containerPort: 80, protocol: 'tcp' }],
    });
    const saved: NetworkAttachment[] = [];
    let reachedBridge!: () => void;
    const bridgeDone = new Promise<void>((r) => (reachedBridge = r));
    // The "process" freezes for good after the bridge's ADD was recorded: portmap never runs.
    void attachPod({
      ...pod,
      infraPid: holder.pid,
      warn: () => {},
      record: async (a) => {
        saved.push(structuredClone(a));
        if (a.result) {
          reachedBridge();
          await new Promise(() => {});
        }
      },
    });
    await bridgeDone;
    const state = saved.at(-1) as NetworkAttachment;
    attachments.push(state);
    expect(state.ips).toHaveLength(1);
    const veths = hostVeths(state);
    expect((await leftovers(state, veths)).leases).toEqual(state.ips);

    holder.kill();
    await detachPod(state);
    expect(await leftovers(state, veths)).toEqual(CLEAN);
  });

  it('is undone when it died before the bridge result was recorded (only the first record saved)', async () => {
    const holder = await NetnsHolder.start();
    holders.push(holder);
    const saved: NetworkAttachment[] = [];
    let bridgeRan!: () => void;
    const bridgeDone = new Promise<void>((r) => (bridgeRan = r));
    // The first record is saved; the second (bridge ADD done) never reaches the disk.
    void attachPod({
      ...testPod(runRoot),
      infraPid: holder.pid,
      warn: () => {},
      record: async (a) => {
        if (!a.result) return void saved.push(structuredClone(a));
        bridgeRan();
        await new Promise(() => {});
      },
    });
    await bridgeDone;
    expect(saved).toHaveLength(1);
    const state = saved[0];
    attachments.push(state);
    expect(state.result).toBeNull();
    const veth = await hostVethOf(state.netnsPin);
    const lease = (await leftovers(state, [])).leases;
    expect(lease).toHaveLength(1);

    await detachPod(state);
    expect(await leftovers({ ...state, ips: lease }, [veth])).toEqual(CLEAN);
  });
});
