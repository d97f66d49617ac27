import { describe, expect, it } from 'vitest';
import { familiarName, normalizeRef, parseRef } from '../../../src/image/ref.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('image references, normalised as containerd and docker do', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx:stable-alpine', 'docker.io/library/nginx:stable-alpine'],
    ['user/app', 'docker.io/user/app:latest'],
    ['docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/team/app:v1_2', 'localhost:5000/team/app:v1_2'],
    ['host:5000/a/b:tag', 'host:5000/a/b:tag'],
    ['registry.k8s.io/busybox:1.27.2', 'registry.k8s.io/busybox:1.27.2'],
    ['my-registry.example:443/a.b/c__d', 'my-registry.example:443/a.b/c__d:latest'],
    ['Registry/app', 'Registry/app:latest'],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    [`nginx:1.25@${D}`, `docker.io/library/nginx:1.25@${D}`],
    [`127.0.0.1:5000/x@${D}`, `127.0.0.1:5000/x@${D}`],
  ])('%s → %s', (ref, normal) => {
    expect(normalizeRef(ref)).toBe(normal);
  });

  it('splits registry, path, tag and digest', () => {
    expect(parseRef('host:5000/a/b:tag')).toEqual({
      registry: 'host:5000',
      path: 'a/b',
      name: 'host:5000/a/b',
      tag: 'tag',
    });
    expect(parseRef(`busybox@${D}`)).toEqual({
      registry: 'docker.io',
      path: 'library/busybox',
      name: 'docker.io/library/busybox',
      digest: D,
    });
    // a first component without "." or ":" that is not localhost is a path, not a registry
    expect(parseRef('team/app').registry).toBe('docker.io');
  });

  it('shows docker.io names the short way', () => {
    expect(familiarName('docker.io/library/nginx')).toBe('nginx');
    expect(familiarName('docker.io/user/app')).toBe('user/app');
    expect(familiarName('quay.io/a/b')).toBe('quay.io/a/b');
  });

  it.each([
    ['', /the name is empty/],
    ['Nginx', /repository name must be lowercase/],
    ['nginx:', /tag ""/],
    ['nginx:-bad', /tag "-bad"/],
    ['a//b', /name component ""/],
    ['nginx@sha256:abc', /digest "sha256:abc"/],
    ['nginx@md5:' + 'a'.repeat(32), /digest/],
    ['../etc', /"\.\." is not a valid registry host name/],
    ['a/../../b', /name component "\.\."/],
    ['x'.repeat(256), /longer than 255/],
  ])('refuses %j', (ref, message) => {
    expect(() => parseRef(ref)).toThrow(message);
    expect(() => parseRef(ref)).toThrow(/^invalid image reference/);
  });
});
