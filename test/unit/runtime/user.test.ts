import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveUser } from '../../../src/runtime/user.js';
import { pod } from '../plan/fixtures.js';

let rootfs: string;
beforeAll(() => {
  rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-user-'));
  fs.mkdirSync(path.join(rootfs, 'etc'));
  fs.writeFileSync(
    path.join(rootfs, 'etc/passwd'),
    'root:x:0:0::/root:/bin/sh\nuser-defined-in-image:x:1000:1000::/home:/bin/sh\n',
  );
  fs.writeFileSync(
    path.join(rootfs, 'etc/group'),
    'root:x:0:\nwheel:x:10:root\nuser-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n',
  );
});
afterAll(() => fs.rmSync(rootfs, { recursive: true, force: true }));

const c = { name: 'c', image: 'img' };
const userOf = (psc: object) => {
  const p = pod({ securityContext: psc, containers: [c] });
  return resolveUser(p, p.spec.containers[0]!, { ref: 'img', lowerDirs: [rootfs], config: {} });
};

describe('supplementary groups (supplementalGroupsPolicy, fsGroup)', () => {
  test("Merge (the default) adds the image's /etc/group memberships, as the Kubernetes docs' example", () => {
    expect(userOf({ runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000] })).toEqual({
      uid: 1000,
      gid: 3000,
      groups: [3000, 50000, 4000],
    });
  });

  test('Strict: only the primary group and the groups the manifest names', () => {
    expect(
      userOf({ runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], supplementalGroupsPolicy: 'Strict' }),
    ).toEqual({ uid: 1000, gid: 3000, groups: [3000, 4000] });
  });

  test('fsGroup is a supplementary group of every container', () => {
    expect(userOf({ fsGroup: 123 })).toEqual({ uid: 0, gid: 0, groups: [0, 10, 123] });
    expect(userOf({ fsGroup: 123, supplementalGroupsPolicy: 'Strict' })).toEqual({ uid: 0, gid: 0, groups: [0, 123] });
  });

  test("plain root still gets a group list of its own (never the supervisor's)", () => {
    expect(userOf({})).toEqual({ uid: 0, gid: 0, groups: [0, 10] });
  });
});
