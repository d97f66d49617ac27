import { describe, expect, test } from 'vitest';
import { missingLine, tutorialBlocks } from '../../integration/tutorial-blocks.js';

describe('the tutorial page as runnable blocks', () => {
  const page = [
    '# t',
    '```sh',
    'echo one',
    'echo two',
    '```',
    'prose',
    '```output',
    'one',
    '```',
    '```yaml',
    'a: 1',
    '```',
    '```sh',
    'true',
    '```',
  ].join('\n');

  test('sh blocks are commands; an output block belongs to the sh block before it; others are prose', () => {
    expect(tutorialBlocks(page)).toEqual([
      { commands: 'echo one\necho two', expected: 'one', line: 2 },
      { commands: 'true', line: 13 },
    ]);
  });

  test('an output block with no command block before it is an error in the page', () => {
    expect(() => tutorialBlocks('```output\nx\n```')).toThrow(/line 1/);
  });

  test('expected lines are found in order; numbers and blank runs may differ', () => {
    const actual = 'PID   STAT COMMAND\n   12 S    sleep\n   13 Z    sleep\nnoise\n   20 Z  sleep';
    expect(missingLine('PID STAT COMMAND\n 1 S sleep\n 3 Z sleep\n 5 Z sleep', actual)).toBeUndefined();
    expect(missingLine(' 1 Z sleep\n 1 S sleep', actual)).toBe(' 1 S sleep');
    expect(missingLine('3 Z sleep\n4 Z sleep\n5 Z sleep', actual)).toBe('5 Z sleep');
    expect(missingLine('pause', actual)).toBe('pause');
    expect(missingLine('net:[4026532179]', 'net:[1]')).toBeUndefined();
    expect(missingLine('net:[4026532179]', 'net:[x]')).toBe('net:[4026532179]');
  });
});
