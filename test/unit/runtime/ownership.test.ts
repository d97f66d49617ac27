import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ownedMode, setVolumeOwnership } from '../../../src/runtime/ownership.js';
import { managedOwnership } from '../../../src/runtime/volumes.js';

describe("fsGroup volume ownership (the kubelet's SetVolumeOwnership)", () => {
  test('files get group read/write, directories also group search and setgid; other bits stay', () => {
    expect(ownedMode(0o644, false, false)).toBe(0o664);
    expect(ownedMode(0o600, false, false)).toBe(0o660);
    expect(ownedMode(0o777, true, false)).toBe(0o2777);
    expect(ownedMode(0o755, true, false)).toBe(0o2775);
    expect(ownedMode(0o4755, false, false)).toBe(0o4775);
  });

  test('read-only volume types get group read only', () => {
    expect(ownedMode(0o400, false, true)).toBe(0o440);
    expect(ownedMode(0o700, true, true)).toBe(0o2750);
  });

  test('which volume types are changed: emptyDir, config and projection volumes; never hostPath', () => {
    expect(managedOwnership({ name: 'a', emptyDir: {} } as never)).toEqual({ readOnly: false });
    expect(managedOwnership({ name: 'a', secret: { secretName: 's' } } as never)).toEqual({ readOnly: true });
    expect(managedOwnership({ name: 'a', configMap: { name: 'c' } } as never)).toEqual({ readOnly: true });
    expect(managedOwnership({ name: 'a', hostPath: { path: '/x' } } as never)).toBeUndefined();
  });

  let dir: string | undefined;
  afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  test('the walk changes every entry but symlinks, whose targets keep their mode', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-own-'));
    const vol = path.join(dir, 'vol');
    fs.mkdirSync(path.join(vol, 'sub'), { recursive: true, mode: 0o755 });
    fs.chmodSync(vol, 0o755);
    fs.chmodSync(path.join(vol, 'sub'), 0o700);
    fs.writeFileSync(path.join(vol, 'sub', 'f'), 'x', { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'outside'), 'y', { mode: 0o600 });
    fs.symlinkSync('../outside', path.join(vol, 'link'));
    const gid = process.getgid!();
    await setVolumeOwnership(vol, { gid, readOnly: false });
    const mode = (p: string) => fs.lstatSync(p).mode & 0o7777;
    expect(mode(vol)).toBe(0o2775);
    expect(mode(path.join(vol, 'sub'))).toBe(0o2770);
    expect(mode(path.join(vol, 'sub', 'f'))).toBe(0o660);
    expect(fs.statSync(path.join(vol, 'sub', 'f')).gid).toBe(gid);
    expect(mode(path.join(dir, 'outside'))).toBe(0o600);
  });
});
