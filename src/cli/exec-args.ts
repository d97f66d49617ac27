/**
 * `tspod exec POD ls -la /` as podman reads it: the first word after the pod name starts the
 * command, and everything from there on is the command's own, options included. The parser would
 * otherwise take `-la` for tspod options of its own. So before parsing, a `--` is put in front of
 * that word (unless the user already wrote one): options before it (`-c NAME`, `-it`, `-e X=Y`)
 * stay exec's; an option tspod does not know, before the command, is still refused, with the hint
 * to put the command after `--` (usage.ts).
 */

import { nth } from '../checked.js';

/** Options of exec (and the global ones) that take a value: the next word is theirs. */
const WITH_VALUE = new Set([
  '-c',
  '--container',
  '-e',
  '--env',
  '-u',
  '--user',
  '-w',
  '--workdir',
  '--root',
  '--run-root',
  '--log-level',
]);

/** The arguments with `--` inserted before an exec command that has none; other commands unchanged. */
export function execArgs(args: readonly string[]): string[] {
  let i = 0;
  const positional: number[] = [];
  for (; i < args.length; i++) {
    const a = nth(args, i);
    if (a === '--') return [...args];
    if (WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-') && a !== '-') continue;
    positional.push(i);
    // positional[0] is "exec", positional[1] the pod, positional[2] the command's first word.
    if (positional.length === 1 && a !== 'exec') return [...args];
    if (positional.length === 3) return [...args.slice(0, i), '--', ...args.slice(i)];
  }
  return [...args];
}
