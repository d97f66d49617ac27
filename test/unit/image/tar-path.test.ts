import { describe, expect, it } from 'vitest';
import { entryPath, resolveInRoot } from '../../../src/image/tar-path.js';

describe('archive entry names', () => {
  it.each([
    ['./', []],
    ['.', []],
    ['./etc/passwd', ['etc', 'passwd']],
    ['etc//./ssl/', ['etc', 'ssl']],
    ['..foo/bar..', ['..foo', 'bar..']],
  ])('%j → %j', (name, parts) => {
    expect(entryPath(name, 'a')).toEqual(parts);
  });

  it.each([
    ['../x', /contains "\.\."/],
    ['a/../../x', /contains "\.\."/],
    ['a/..', /contains "\.\."/],
    ['/etc/passwd', /has an absolute path/],
    ['a\0b', /NUL byte/],
  ])('refuses %j', (name, message) => {
    expect(() => entryPath(name, 'layer 1')).toThrow(message);
    expect(() => entryPath(name, 'layer 1')).toThrow(/^layer 1: /);
  });
});

describe('resolving inside a root, as RESOLVE_IN_ROOT does', () => {
  const links: Record<string, string> = {
    abs: '/etc/shadow',
    up: '../../../etc/passwd',
    blobs: 'store/blobs',
    'store/blobs/sha256/x': '../../other/y',
    loop: 'loop',
    'dir/rel': 'target',
  };
  const readlink = (parts: string[]) => links[parts.join('/')];

  it.each([
    ['plain/path', ['plain', 'path']],
    ['abs', ['etc', 'shadow']],
    ['up', ['etc', 'passwd']],
    ['../../x', ['x']],
    ['blobs/sha256/x', ['store', 'other', 'y']],
    ['dir/rel', ['dir', 'target']],
  ])('%s → %j', (rel, parts) => {
    expect(resolveInRoot(rel, readlink)).toEqual(parts);
  });

  it('leaves the last component alone when asked', () => {
    expect(resolveInRoot('blobs', readlink, false)).toEqual(['blobs']);
  });

  it('gives up on symlink loops', () => {
    expect(() => resolveInRoot('loop/x', readlink)).toThrow(/too many levels of symbolic links/);
  });
});
