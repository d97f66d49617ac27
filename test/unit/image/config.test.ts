import { describe, expect, it } from 'vitest';
import { checkPlatform, hostArchitecture, parseImageConfig, rootfsTarballConfig } from '../../../src/image/config.js';

const parse = (doc: unknown) => parseImageConfig(Buffer.from(JSON.stringify(doc)), 'config');

describe('OCI image configs', () => {
  it('keeps the fields a pod uses, and the diff IDs', () => {
    const parsed = parse({
      created: '2024-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: {
        Entrypoint: ['/docker-entrypoint.sh'],
        Cmd: ['nginx', '-g', 'daemon off;'],
        Env: ['PATH=/bin', 'A=b=c'],
        WorkingDir: '/srv',
        User: '101:101',
        StopSignal: 'SIGQUIT',
        ExposedPorts: { '80/tcp': {} },
        Labels: { x: 'y' },
        Volumes: null,
      },
      rootfs: { type: 'layers', diff_ids: ['sha256:' + 'a'.repeat(64)] },
    });
    expect(parsed.config).toEqual({
      Entrypoint: ['/docker-entrypoint.sh'],
      Cmd: ['nginx', '-g', 'daemon off;'],
      Env: ['PATH=/bin', 'A=b=c'],
      WorkingDir: '/srv',
      User: '101:101',
      StopSignal: 'SIGQUIT',
      ExposedPorts: { '80/tcp': {} },
    });
    expect(parsed.diffIds).toEqual(['sha256:' + 'a'.repeat(64)]);
    expect(parsed.created).toBe('2024-01-01T00:00:00Z');
  });

  it("reads Docker's nulls as unset", () => {
    expect(parse({ config: { Entrypoint: null, Cmd: null, WorkingDir: '', Env: null } }).config).toEqual({});
  });

  it.each([
    [{ config: { Cmd: 'sh' } }, /"config.Cmd" is not a list of strings/],
    [{ config: { Env: ['NOEQUALS'] } }, /environment entry "NOEQUALS" has no "="/],
    [{ config: { WorkingDir: 5 } }, /"config.WorkingDir" is not a string/],
    [{ rootfs: { diff_ids: 'x' } }, /"rootfs.diff_ids" is not a list/],
    [[1], /is not a JSON object/],
  ])('refuses %j', (doc, message) => {
    expect(() => parse(doc)).toThrow(message);
  });

  it('refuses invalid JSON', () => {
    expect(() => parseImageConfig(Buffer.from('{'), 'config')).toThrow('config is not valid JSON');
  });

  it('refuses an image for another platform', () => {
    expect(() => checkPlatform(parse({ os: 'windows' }), 'img')).toThrow('img is for os "windows", not linux');
    const other = hostArchitecture() === 'arm64' ? 'amd64' : 'arm64';
    expect(() => checkPlatform(parse({ os: 'linux', architecture: other }), 'img')).toThrow(
      `img is for architecture "${other}"`,
    );
    expect(() => checkPlatform(parse({ os: 'linux', architecture: hostArchitecture() }), 'img')).not.toThrow();
  });

  it('gives a root filesystem tarball a config with its one layer and no process', () => {
    const parsed = parseImageConfig(rootfsTarballConfig('sha256:' + 'b'.repeat(64), '2024-01-01T00:00:00Z'), 'c');
    expect(parsed).toMatchObject({
      config: {},
      diffIds: ['sha256:' + 'b'.repeat(64)],
      os: 'linux',
      architecture: hostArchitecture(),
    });
  });
});
