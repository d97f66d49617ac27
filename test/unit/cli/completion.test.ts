import { describe, expect, test } from 'vitest';
import { complete, type CompletionSources } from '../../../src/cli/completion.js';

const seen: { root?: string }[] = [];
const src: CompletionSources = {
  commands: ['run', 'ps', 'inspect', 'logs', 'exec', 'rm', 'image', 'completion'],
  options: async (words) => (words.join(' ') === 'image ls' ? ['--json', '--help'] : ['--all', '-a', '--help']),
  pods: async (g) => {
    seen.push(g);
    return ['web', 'db', 'worker'];
  },
  images: async () => ['docker.io/library/busybox:latest'],
};

describe('what Tab offers', () => {
  test.each<[string[], string[]]>([
    [[''], ['run', 'ps', 'inspect', 'logs', 'exec', 'rm', 'image', 'completion']],
    [['r'], ['run', 'rm']],
    [['--'], ['--help', '--version', '--root', '--run-root', '--log-level']],
    [
      ['logs', ''],
      ['web', 'db', 'worker'],
    ],
    [
      ['logs', 'w'],
      ['web', 'worker'],
    ],
    [
      ['rm', 'web', ''],
      ['db', 'worker'],
    ],
    [['exec', 'web', ''], []],
    [['rm', '--a'], ['--all']],
    [
      ['image', ''],
      ['ls', 'import', 'inspect', 'rm', 'pull', 'tag', 'save', 'prune'],
    ],
    [['image', 'rm', 'dock'], ['docker.io/library/busybox:latest']],
    [['image', 'ls', '--j'], ['--json']],
    [['image', 'pull', ''], []],
    [['run', ''], []],
    [['--log-level', 'w'], ['warn']],
    [['--root', ''], []],
    [
      ['completion', ''],
      ['bash', 'zsh'],
    ],
  ])('%j → %j', async (words, out) => {
    expect(await complete(words, src)).toEqual(out);
  });

  test('pods come from the --root given before', async () => {
    seen.length = 0;
    await complete(['--root', '/elsewhere', 'logs', ''], src);
    expect(seen).toEqual([{ root: '/elsewhere' }]);
  });
});
