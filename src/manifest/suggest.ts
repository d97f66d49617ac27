/**
 * "Did you mean": the known field name closest to a misspelt one (`contianers` → `containers`).
 *
 * Closeness is the optimal string alignment distance (insertions, deletions, substitutions and
 * swaps of two neighbouring letters each cost one), compared without case so that
 * `ImagePullPolicy` finds `imagePullPolicy`. A name is suggested only when it is close relative to
 * its length, so short unrelated names are not offered.
 */
import { nth } from '../checked.js';

function distance(a: string, b: string): number {
  const rows: number[][] = [];
  const at = (i: number, j: number) => nth(nth(rows, i), j); // only cells already filled
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    rows.push(row);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, at(i - 2, j - 2) + 1);
      }
      row.push(d);
    }
  }
  return at(a.length, b.length);
}

/** The candidate closest to `name`, if any is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  if (wanted.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(wanted, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const allowed = Math.min(3, Math.floor(Math.max(wanted.length, 1) / 3));
  return bestDistance <= Math.max(allowed, 1) && bestDistance < wanted.length ? best : undefined;
}
