import { describe, expect, test } from 'vitest';
import { hostPathSourceType } from '../../../src/plan/pod-inputs.js';
import type { Pod } from '../../../src/manifest/types.js';

const podWith = (type?: string) =>
  ({
    spec: {
      volumes: [
        { name: 'v', hostPath: { path: '/x', ...(type ? { type } : {}) } },
        { name: 'e', emptyDir: {} },
      ],
    },
  }) as unknown as Pod;

describe("the file type a hostPath bind must have (checked by the addon on the bind's fd)", () => {
  test('each hostPath type, the *OrCreate ones included', () => {
    const want: Record<string, string> = {
      Directory: 'directory',
      DirectoryOrCreate: 'directory',
      File: 'file',
      FileOrCreate: 'file',
      Socket: 'socket',
      CharDevice: 'charDevice',
      BlockDevice: 'blockDevice',
    };
    for (const [type, sourceType] of Object.entries(want))
      expect(hostPathSourceType(podWith(type), 'v')).toBe(sourceType);
  });

  test('untyped hostPaths and other volumes are not checked', () => {
    expect(hostPathSourceType(podWith(), 'v')).toBeUndefined();
    expect(hostPathSourceType(podWith('Socket'), 'e')).toBeUndefined();
  });
});
