/** subPathExpr without root: exclusive with subPath, expanded from the container's own variables only. */
import { describe, expect, test } from 'vitest';
import { ManifestError, validatePod } from '../../../src/manifest/index.js';
import { containerEnv, mountSubPath } from '../../../src/manifest/process.js';
import { noConfig } from '../../../src/manifest/config-objects.js';

const pod = (mount: object, env: object[] = []) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: {
    volumes: [{ name: 'v', emptyDir: {} }],
    containers: [{ name: 'c', image: 'busybox', env, volumeMounts: [{ name: 'v', mountPath: '/d', ...mount }] }],
  },
});
const facts = { podName: 'web', namespace: 'default', uid: 'u', nodeName: 'n', serviceAccountName: 'default' };
const sub = (mount: object, env: object[] = []) => {
  const c = validatePod(pod(mount, env)).pod.spec.containers[0]!;
  return mountSubPath(c, c.volumeMounts[0]!, containerEnv(c, facts, noConfig()));
};

describe('subPathExpr', () => {
  test('expanded from env (fieldRef included); unknown references stay as written; $$ is a $', () => {
    expect(
      sub({ subPathExpr: 'logs/$(POD)' }, [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
    ).toBe('logs/web');
    expect(sub({ subPathExpr: '$(PATH)-$(NOPE)-$$(POD)' }, [{ name: 'POD', value: 'x' }])).toBe(
      '$(PATH)-$(NOPE)-$(POD)',
    );
    expect(sub({ subPath: 'plain' })).toBe('plain');
  });

  test('an expansion that is absolute or climbs is a CreateContainerConfigError', () => {
    expect(() => sub({ subPathExpr: '$(D)' }, [{ name: 'D', value: '/etc' }])).toThrow(
      'expands to "/etc", which must be a relative path without \'..\'',
    );
    expect(() => sub({ subPathExpr: 'a/$(D)' }, [{ name: 'D', value: '../..' }])).toThrow('expands to "a/../.."');
  });

  test('subPath and subPathExpr exclude each other; the expression itself is checked as a subPath', () => {
    const issues = (mount: object) => {
      try {
        validatePod(pod(mount));
        return [];
      } catch (err) {
        return (err as ManifestError).issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    expect(issues({ subPath: 'a', subPathExpr: '$(X)' })).toEqual([
      'spec.containers[0].volumeMounts[0].subPathExpr: may not be set together with subPath',
    ]);
    expect(issues({ subPathExpr: '../$(X)' })[0]).toContain("may not contain '..'");
  });
});
