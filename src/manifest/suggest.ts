/**
 * "Did you mean": the known field name closest to a misspelt one (`contianers` → `containers`).
 *
 * Closeness is the optimal string alignment distance (insertions, deletions, substitutions and
 * swaps of two neighbouring letters each cost one), compared without case so that
 * `ImagePullPolicy` finds `imagePullPolicy`. A name is suggested only when it is close relative to
 * its length, so short unrelated names are not offered.
 */

function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]!.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]!.push(d);
    }
  }
  return rows[a.length]![b.length]!;
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
