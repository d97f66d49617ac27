import { describe, expect, it } from 'vitest';
import { formatImageTable, humanSize, shortId, timeAgo } from '../../../src/cli/image-ls.js';

describe('tspod image ls formatting', () => {
  it.each([
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1_980_000, '1.98MB'],
    [164_123_456, '164MB'],
    [2_500_000_000, '2.5GB'],
  ])('%d bytes → %s', (n, text) => {
    expect(humanSize(n)).toBe(text);
  });

  it('says how long ago, in the largest whole unit', () => {
    const now = new Date('2024-06-01T00:00:00Z');
    const ago = (s: number) => timeAgo(new Date(now.getTime() - s * 1000), now);
    expect(ago(0)).toBe('less than a second ago');
    expect(ago(30)).toBe('30 seconds ago');
    expect(ago(60)).toBe('1 minute ago');
    expect(ago(3 * 3600)).toBe('3 hours ago');
    expect(ago(8 * 86400)).toBe('1 week ago');
    expect(ago(400 * 86400)).toBe('1 year ago');
    expect(timeAgo(new Date('garbage'), now)).toBe('unknown');
  });

  it('prints docker-like columns', () => {
    const now = new Date('2024-06-01T00:00:00Z');
    const table = formatImageTable(
      [
        {
          name: 'docker.io/library/busybox',
          tag: 'latest',
          ref: 'docker.io/library/busybox:latest',
          id: 'sha256:52b72775c25675c0b49c',
          repoDigests: [],
          lowerDirs: ['/r'],
          config: {},
          created: '2024-05-31T22:00:00Z',
          size: 1_980_000,
        },
        {
          name: 'r.example/nginx',
          ref: 'r.example/nginx@sha256:' + 'c'.repeat(64),
          digest: 'sha256:' + 'c'.repeat(64),
          id: 'sha256:0123456789abcdef',
          repoDigests: [],
          lowerDirs: ['/r'],
          config: {},
          created: '2024-06-01T00:00:00Z',
        },
      ],
      now,
    );
    expect(table).toBe(
      [
        'NAME                        TAG      ' +
          'DIGEST                                                                    ' +
          'IMAGE ID       CREATED                  SIZE',
        'docker.io/library/busybox   latest   ' +
          '<none>                                                                    ' +
          '52b72775c256   2 hours ago              1.98MB',

        `r.example/nginx             <none>   sha256:${'c'.repeat(64)}   0123456789ab   less than a second ago   -`,
        '',
      ].join('\n'),
    );
    expect(shortId('sha256:abc')).toBe('abc');
  });
});
