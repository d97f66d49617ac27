import { describe, expect, it } from 'vitest';
import { beforeFirst, groups, last, nth, only } from '../../src/checked.js';
import { padColumns } from '../../src/table.js';

describe('checked indexing', () => {
  it('groups: the mandatory groups of a match, in the order asked', () => {
    const m = /^(\w+)\/(\w+)(?:\/(\w+))?$/.exec('linux/amd64');
    expect(m).not.toBeNull();
    expect(groups(m!, 2, 1)).toEqual(['amd64', 'linux']);
    // A group that took no part (an optional one) is a mistake in the caller's pattern: it says so.
    expect(() => groups(m!, 3)).toThrow(/group 3 took no part in the match "linux\/amd64"/);
  });

  it('nth and last: in range or a RangeError naming the index', () => {
    expect(nth(['a', 'b'], 1)).toBe('b');
    expect(last([1, 2, 3])).toBe(3);
    expect(() => nth(['a'], 1)).toThrow(RangeError);
    expect(() => nth(['a'], -1)).toThrow(/index -1 is outside a list of 1/);
    expect(() => last([])).toThrow(RangeError);
  });

  it('only: the element of a list of one', () => {
    expect(only(['x'])).toBe('x');
    expect(only([])).toBeUndefined();
    expect(only(['x', 'y'])).toBeUndefined();
  });

  it('beforeFirst: the text before a separator, or all of it', () => {
    expect(beforeFirst('10.0.0.7/24', '/')).toBe('10.0.0.7');
    expect(beforeFirst('application/json; charset=utf-8', ';')).toBe('application/json');
    expect(beforeFirst('fd00::7', '/')).toBe('fd00::7');
  });
});

describe('padColumns', () => {
  it('pads every column but the last to its widest cell and the gap', () => {
    expect(
      padColumns(
        [
          ['NAME', 'STATUS'],
          ['web-1', 'Running'],
        ],
        3,
      ),
    ).toEqual(['NAME    STATUS', 'web-1   Running']);
  });

  it('takes rows of different lengths', () => {
    expect(padColumns([['a', 'bb', 'c'], ['aaa']], 1)).toEqual(['a   bb c', 'aaa']);
  });
});
