/**
 * Text tables as kubectl prints them (its tabwriter): every column padded to its widest cell plus a
 * gap, the last column as it is, so that no line ends in spaces. Rows may be of different lengths.
 */
import { nth } from './checked.js';

/** The lines of a table of cells, each column `gap` spaces wider than its widest cell. */
export function padColumns(rows: readonly (readonly string[])[], gap: number): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, cell.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(nth(widths, c) + gap))).join(''));
}
