/**
 * `$(VAR)` expansion with the kubelet's exact rules.
 */
import { describe, expect, test } from 'vitest';
import { expandVars } from '../../../src/manifest/index.js';

const vars: Record<string, string> = { A: 'alpha', B: 'beta', EMPTY: '', REF: '$(A)' };
const lookup = (name: string) => (Object.hasOwn(vars, name) ? vars[name] : undefined);

describe('expandVars', () => {
  test.each([
    ['no references', 'no references'],
    ['$(A)', 'alpha'],
    ['x$(A)y$(B)z', 'xalphaybetaz'],
    ['$(A)$(A)', 'alphaalpha'],
    ['$(EMPTY)|', '|'],
    ['$(UNDEFINED)', '$(UNDEFINED)'],
    ['a $(UNDEFINED) b $(A)', 'a $(UNDEFINED) b alpha'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['$$$$(A)', '$$(A)'],
    ['$$', '$'],
    ['cost: $$5', 'cost: $5'],
    ['$(A', '$(A'],
    ['$(', '$('],
    ['x $( y', 'x $( y'],
    ['$(A $(B)', '$(A $(B)'],
    ['$()', '$()'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$A', '$A'],
    ['${A}', '${A}'],
    ['$(REF)', '$(A)'],
    ['$(seq 1 3)', '$(seq 1 3)'],
    ['(A) $ (A)', '(A) $ (A)'],
  ])('%j → %j', (input, output) => {
    expect(expandVars(input, lookup)).toBe(output);
  });

  test('a reference to a variable whose value contains $$ is not unescaped again', () => {
    expect(expandVars('$(X)', (n) => (n === 'X' ? 'a$$b' : undefined))).toBe('a$$b');
  });
});
