/**
 * Netns pins on the real kernel: a pin keeps the namespace after its last process died, unpinning
 * is idempotent, the host's own namespace is never pinned, and a pin in use is never taken over.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attachPod, netnsPinPath } from '../../src/network/index.js';
import { isPinned, pinNetns, unpinNetns } from '../../src/network/netns.js';
import { inNetns, NetnsHolder, run, testPod } from './network-helpers.js';

const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-netns-'));
let holders: NetnsHolder[] = [];
let pins: string[] = [];

async function mounted(pin: string): Promise<boolean> {
  return (await run('findmnt', ['-rn', '-o', 'TARGET'])).stdout.split('\n').includes(pin);
}

beforeAll(() => expect(process.getuid?.(), 'network integration tests need root').toBe(0));
afterEach(async () => {
  for (const p of pins) await unpinNetns(p);
  for (const p of pins) expect(await mounted(p)).toBe(false);
  for (const h of holders) h.kill();
  holders = [];
  pins = [];
});
afterAll(() => fs.rmSync(runRoot, { recursive: true, force: true }));

async function holderAndPin(name: string) {
  const holder = await NetnsHolder.start();
  holders.push(holder);
  const pin = netnsPinPath(runRoot, name);
  pins.push(pin);
  return { holder, pin };
}

describe('netns pins', () => {
  it('keep the namespace alive after its last process died, until unpinned', async () => {
    const { holder, pin } = await holderAndPin('keep');
    await pinNetns(holder.pid, pin);
    expect(await isPinned(pin)).toBe(true);
    expect(await mounted(pin)).toBe(true);
    const inode = fs.statSync(`/proc/${holder.pid}/ns/net`).ino;
    await inNetns(pin, ['ip', 'link', 'add', 'tspodtest0', 'type', 'veth', 'peer', 'name', 'tspodtest1']);

    holder.kill();
    await new Promise((r) => holder.child.once('exit', r));
    expect(fs.statSync(pin).ino).toBe(inode);
    expect(await inNetns(pin, ['ip', '-br', 'link', 'show', 'tspodtest0'])).toContain('tspodtest0');

    await unpinNetns(pin);
    expect(fs.existsSync(pin)).toBe(false);
    expect(await mounted(pin)).toBe(false);
    await unpinNetns(pin);
  });

  it('unpin removes stacked mounts and a pin file that was never mounted', async () => {
    const { holder, pin } = await holderAndPin('stacked');
    await pinNetns(holder.pid, pin);
    await run('mount', ['--bind', `/proc/${holder.pid}/ns/net`, pin]);
    await unpinNetns(pin);
    expect(await mounted(pin)).toBe(false);
    expect(fs.existsSync(pin)).toBe(false);

    fs.writeFileSync(pin, '');
    await unpinNetns(pin);
    expect(fs.existsSync(pin)).toBe(false);
  });

  it("refuse the host's own network namespace", async () => {
    const pin = netnsPinPath(runRoot, 'host');
    pins.push(pin);
    await expect(pinNetns(process.pid, pin)).rejects.toThrow(
      `process ${process.pid} is in the host's network namespace`,
    );
    expect(await mounted(pin)).toBe(false);
    expect(fs.existsSync(pin)).toBe(false);
  });

  it('are not taken over by a second pod of the same name', async () => {
    const { holder, pin } = await holderAndPin('taken');
    await pinNetns(holder.pid, pin);
    const other = await NetnsHolder.start();
    holders.push(other);
    const records: unknown[] = [];
    const pod = { ...testPod(runRoot), podName: 'taken' };
    const attempt = attachPod({
      ...pod,
      infraPid: other.pid,
      record: async (a) => void records.push(a),
      warn: () => {},
    });
    await expect(attempt).rejects.toThrow(`network namespace pin "${pin}" is in use`);
    expect(records).toEqual([]);
    expect(fs.statSync(pin).ino).toBe(fs.statSync(`/proc/${holder.pid}/ns/net`).ino);
  });

  it('are not made for the network "none"', async () => {
    const { holder, pin } = await holderAndPin('none');
    const pod = { ...testPod(runRoot, { network: 'none' }), podName: 'none' };
    expect(await attachPod({ ...pod, infraPid: holder.pid, record: async () => {}, warn: () => {} })).toBeNull();
    expect(fs.existsSync(pin)).toBe(false);
  });
});
