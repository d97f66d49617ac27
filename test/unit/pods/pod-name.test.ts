import { describe, expect, test } from 'vitest';
import { checkPodName, InvalidPodNameError } from '../../../src/pods/pod-name.js';
import { childDir, podDataDir, podRunDir } from '../../../src/paths.js';
import { podLayout } from '../../../src/layout.js';
import { netnsPinPath } from '../../../src/network/netns.js';
import { permissionProblem } from '../../../src/cli/common.js';

const roots = { root: '/tmp/r', runRoot: '/tmp/rr' };
const hostile = ['..', '.', '/', '', 'a\0b', '\0', '../..', '../x', 'a/b', '/etc', 'a/..', './a'];

describe('pod names are DNS subdomains, checked before any lookup', () => {
  test.each(hostile.concat(['UPPER', '-a', 'a-', 'a..b', 'a_b', 'x'.repeat(254), ' a', 'a\n']))(
    '%j is refused',
    (name) => {
      expect(() => checkPodName(name)).toThrow(InvalidPodNameError);
      expect(() => checkPodName(name)).toThrow(/^invalid pod name /);
    },
  );

  test.each(['web', 'a', 'nginx-1', 'my.pod.example', 'x'.repeat(253), '0'])('%j is accepted', (name) => {
    expect(() => checkPodName(name)).not.toThrow();
  });

  test('the error is a usage error (exit status 125) and quotes a NUL visibly', () => {
    const err = (() => {
      try {
        checkPodName('a\0b');
      } catch (e) {
        return e as InvalidPodNameError;
      }
    })();
    expect(err?.status).toBe(125);
    expect(err?.message).toContain('"a\\u0000b"');
  });
});

describe('the path helpers build only direct children of the pods directories', () => {
  test.each(hostile)('%j: no pod directory under either root, no netns pin', (name) => {
    expect(() => podRunDir(roots, name)).toThrow(/refusing to build a pod directory/);
    expect(() => podDataDir(roots, name)).toThrow(/refusing to build a pod directory/);
    expect(() => podLayout(roots, name)).toThrow(/refusing/);
    expect(() => netnsPinPath(roots.runRoot, name)).toThrow(/refusing to build a netns pin directory/);
  });

  test('a good name gives <root>/pods/NAME and <run-root>/pods/NAME', () => {
    expect(podDataDir(roots, 'web')).toBe('/tmp/r/pods/web');
    expect(podRunDir(roots, 'web')).toBe('/tmp/rr/pods/web');
    expect(podLayout(roots, 'web').stateFile).toBe('/tmp/rr/pods/web/state.json');
    expect(childDir('/tmp/rr/pods/', 'web')).toBe('/tmp/rr/pods/web');
  });

  test('names that are not DNS subdomains but are one component still stay inside (defence in depth)', () => {
    expect(childDir('/x/pods', '...')).toBe('/x/pods/...');
    expect(childDir('/x/pods', 'A_B')).toBe('/x/pods/A_B');
  });
});

describe('a caller who is not root is told so', () => {
  const eacces = Object.assign(new Error("EACCES: permission denied, stat '/run/tspod/pods/web'"), {
    code: 'EACCES',
    syscall: 'stat',
    path: '/run/tspod/pods/web',
  });

  test('EACCES anywhere in the chain, as a user', () => {
    expect(permissionProblem(new Error('reading the state of pod "web"', { cause: eacces }), 1000)).toBe(
      'permission denied: tspod needs root (stat /run/tspod/pods/web)',
    );
  });

  test('as root, the error is what it is', () => {
    expect(permissionProblem(eacces, 0)).toBeUndefined();
  });

  test('other errors are left alone', () => {
    expect(permissionProblem(new Error('pod "web" not found'), 1000)).toBeUndefined();
  });
});
