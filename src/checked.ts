/**
 * Indexing that states what it knows. With `noUncheckedIndexedAccess` (tsconfig), `list[i]` is
 * typed as possibly undefined, since nothing in a type says that an index is in range. Where the
 * input can be short (argv, a parsed file, a manifest), the caller checks and names the field in a
 * clear error. Where the index is in range by construction (a group that the pattern makes
 * mandatory, once the whole pattern matched; a column of a table whose rows have the same width),
 * these helpers say so, and throw if that is ever not true, rather than a `!` that would let an
 * undefined through to fail somewhere else.
 */

/**
 * The given groups of a successful match, where the pattern makes each of them mandatory (not in
 * an optional `(...)?` nor one side of an alternation): `const [os, arch] = groups(m, 1, 2)`.
 */
export function groups<const N extends readonly number[]>(
  m: RegExpExecArray | RegExpMatchArray,
  ...which: N
): { -readonly [K in keyof N]: string } {
  return which.map((i) => {
    const g = m[i];
    if (g === undefined) throw new Error(`internal: group ${i} took no part in the match "${m[0]}"`);
    return g;
  }) as { -readonly [K in keyof N]: string };
}

/** `list[i]` where i is known to be in range (a loop bound, a length checked just before). */
export function nth<T>(list: ArrayLike<T>, i: number): T {
  if (!Number.isInteger(i) || i < 0 || i >= list.length)
    throw new RangeError(`internal: index ${i} is outside a list of ${list.length}`);
  return list[i] as T;
}

/** The last element of a list known not to be empty. */
export function last<T>(list: ArrayLike<T>): T {
  return nth(list, list.length - 1);
}

/** The element of a list of exactly one; undefined for none or several. */
export function only<T>(list: readonly T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}

/** The text before the first `separator` (all of it when there is none): `'10.0.0.7/24'` → `'10.0.0.7'`. */
export function beforeFirst(text: string, separator: string): string {
  const at = text.indexOf(separator);
  return at < 0 ? text : text.slice(0, at);
}
