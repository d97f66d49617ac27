/**
 * Bounds on what a manifest may be, checked before it is parsed or anything is made.
 *
 * - Size: at most 3 MiB, the API server's limit on a request body (a Pod larger than that could
 *   never be created in a cluster). A 50 MB manifest used to be accepted and fail 14 s later in
 *   execve with E2BIG.
 * - Nesting: at most MAX_NESTING_DEPTH collections inside one another. The YAML library and the
 *   validator walk the document recursively, and a 200 000-deep JSON array overflowed the stack
 *   ("maximum call stack size exceeded"); the library already fails below a thousand levels. No
 *   Kubernetes object comes close to the limit (a Pod is about ten levels deep). The depth is
 *   measured on the text, in one pass with no recursion: flow collections (`[`, `{`, all of JSON)
 *   are counted exactly; block collections by their indentation and their `- ` entries. The
 *   measure may count a multi-line plain scalar as one level more, never fewer than there are.
 */
import { ManifestError } from './errors.js';
import { last } from '../checked.js';

export const MAX_MANIFEST_BYTES = 3 * 1024 * 1024;
export const MAX_NESTING_DEPTH = 100;

function refuse(source: string, line: number, col: number, message: string): ManifestError {
  return new ManifestError([{ path: `${source}:${line}:${col}`, message }], { source });
}

/** Refuse a manifest text over the size limit. */
export function checkSize(text: string, source: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) {
    throw new ManifestError(
      [
        {
          path: source,
          message:
            `the manifest is ${bytes} bytes, over the limit of ${MAX_MANIFEST_BYTES} ` +
            `(3 MiB, the API server's request size limit)`,
        },
      ],
      { source },
    );
  }
}

/** Where the text first nests deeper than `limit`, or undefined. Linear, no recursion. */
export function tooDeepAt(text: string, limit = MAX_NESTING_DEPTH): { line: number; col: number } | undefined {
  const blocks: number[] = []; // indentation column of each open block collection
  let flow = 0; // open [ and { around the cursor
  let quote: '' | '"' | "'" = '';
  let line = 1;
  let measuredLine = 0;
  let lineStart = 0;
  let atNodeStart = true; // the cursor may begin a node (line start, after "- ", ": ", "? ")
  let blockScalarIndent = -1; // inside a | or > scalar: lines indented more than this are text
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const col = i - lineStart;
    if (ch === '\n') {
      line++;
      lineStart = i + 1;
      atNodeStart = true;
      continue;
    }
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (flow === 0 && i === lineStart && measuredLine !== line) {
      // A new line in block context: its indentation closes the collections it is not inside.
      measuredLine = line;
      let j = i;
      while (text[j] === ' ') j++;
      const blank = j >= text.length || text[j] === '\n' || text[j] === '\r' || text[j] === '#';
      const indent = j - i;
      if (blank || (blockScalarIndent >= 0 && indent > blockScalarIndent)) {
        const end = text.indexOf('\n', j); // a blank, comment or block scalar line: nothing to measure
        if (end < 0) break;
        i = end - 1;
        continue;
      }
      blockScalarIndent = -1;
      while (blocks.length && last(blocks) >= indent) blocks.pop();
      blocks.push(indent);
      if (blocks.length + flow > limit) return { line, col: indent + 1 };
      i = j - 1;
      continue;
    }
    if (ch === '#' && (col === 0 || /\s/.test(text.charAt(i - 1)))) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
      continue;
    }
    if ((ch === '"' || ch === "'") && (flow > 0 || atNodeStart)) {
      quote = ch;
      atNodeStart = false;
      continue;
    }
    if ((ch === '[' || ch === '{') && (flow > 0 || atNodeStart)) {
      flow++;
      if (blocks.length + flow > limit) return { line, col: col + 1 };
      atNodeStart = true;
      continue;
    }
    if (flow > 0 && (ch === ']' || ch === '}')) {
      flow--;
      continue;
    }
    if (flow > 0 && (ch === ',' || ch === ':')) {
      atNodeStart = true;
      continue;
    }
    if (flow === 0 && (ch === '-' || ch === '?' || ch === ':') && /[ \n]/.test(text[i + 1] ?? '\n')) {
      // "- " or "? " opens a collection entry whose content starts further right on this line;
      // ": " starts the value of a mapping key.
      if (ch !== ':') {
        blocks.push(col + 1);
        if (blocks.length + flow > limit) return { line, col: col + 1 };
      }
      atNodeStart = true;
      continue;
    }
    if (flow === 0 && (ch === '|' || ch === '>') && atNodeStart) {
      blockScalarIndent = blocks.at(-1) ?? 0;
      atNodeStart = false;
      continue;
    }
    if (ch !== ' ' && ch !== '\t' && ch !== '\r') atNodeStart = false;
  }
  return undefined;
}

/** Refuse a manifest text that nests deeper than the limit. */
export function checkDepth(text: string, source: string): void {
  const at = tooDeepAt(text);
  if (at)
    throw refuse(
      source,
      at.line,
      at.col,
      `nests more than ${MAX_NESTING_DEPTH} levels deep (tspod's limit; a Pod is about ten)`,
    );
}

/** How deep a parsed value nests (aliases can make it deeper than its text); iterative. */
export function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [v, d] = top;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    if (max > MAX_NESTING_DEPTH) return max;
    for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * What execve accepts (fs/exec.c): each argument or environment string at most MAX_ARG_STRLEN
 * (32 pages, 128 KiB, its NUL included), and all of them with their pointers at most a quarter of
 * the stack limit (ARG_MAX: 2 MiB under the usual 8 MiB stack). A container whose command and
 * environment cannot fit would fail only at its execve (E2BIG), after the whole pod was made.
 */
export const MAX_ARG_STRLEN = 32 * 4096;
export const ARG_MAX = 2 * 1024 * 1024;

export interface ExecveParts {
  command?: string[];
  args?: string[];
  env?: { name?: string; value?: string }[];
}

/** The message when the literal command, args and env of a container cannot fit execve; else undefined. */
export function execveOverflow(c: ExecveParts): { field: string; message: string } | undefined {
  const strings: [string, string][] = [
    ...(c.command ?? []).map((s): [string, string] => ['command', s]),
    ...(c.args ?? []).map((s): [string, string] => ['args', s]),
    ...(c.env ?? []).map((e): [string, string] => ['env', `${e.name ?? ''}=${e.value ?? ''}`]),
  ];
  let total = 0;
  for (const [field, s] of strings) {
    const bytes = Buffer.byteLength(s, 'utf8') + 1;
    if (bytes > MAX_ARG_STRLEN)
      return {
        field,
        message: `has a string of ${bytes} bytes: execve takes at most ${MAX_ARG_STRLEN} per argument or variable`,
      };
    total += bytes + 8;
  }
  if (total > ARG_MAX)
    return {
      field: 'env',
      message: `command, args and environment take ${total} bytes: more than execve's ${ARG_MAX} (ARG_MAX)`,
    };
  return undefined;
}
