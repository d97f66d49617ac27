import { describe, expect, it } from 'vitest';
import { normalizeRef, parseRef } from '../../../src/image/ref.js';

describe('image references', () => {
  it.each([
    ['nginx', 'nginx', 'latest'],
    ['nginx:1.25', 'nginx', '1.25'],
    ['library/nginx:stable-alpine', 'library/nginx', 'stable-alpine'],
    ['docker.io/library/nginx', 'docker.io/library/nginx', 'latest'],
    ['localhost:5000/team/app:v1_2', 'localhost:5000/team/app', 'v1_2'],
    ['my-registry.example:443/a.b/c__d', 'my-registry.example:443/a.b/c__d', 'latest'],
  ])('%s → name %s, tag %s', (ref, name, tag) => {
    expect(parseRef(ref)).toEqual({ name, tag });
  });

  it('names are taken literally: a registry prefix makes a different name', () => {
    expect(normalizeRef('docker.io/library/nginx')).not.toBe(normalizeRef('nginx'));
    expect(normalizeRef('nginx')).toBe('nginx:latest');
  });

  it.each([
    ['', /the name is empty/],
    ['Nginx', /name component "Nginx"/],
    ['nginx:', /tag ""/],
    ['nginx:-bad', /tag "-bad"/],
    ['a//b', /name component ""/],
    ['nginx@sha256:' + 'a'.repeat(64), /digest references are not supported/],
    ['../etc', /"\.\." is not a valid host name/],
    ['a/../../b', /name component "\.\."/],
    ['x'.repeat(256), /longer than 255/],
  ])('refuses %j', (ref, message) => {
    expect(() => parseRef(ref)).toThrow(message);
    expect(() => parseRef(ref)).toThrow(/^invalid image reference/);
  });
});
