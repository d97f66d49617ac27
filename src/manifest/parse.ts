/**
 * Reading a manifest: a file or standard input, JSON or YAML; one document for a Pod manifest, or
 * several (`---` between them) for the object files of `objects.ts`.
 *
 * JSON is read as YAML (every JSON text is a YAML document), so both get the same error positions;
 * where JSON.parse gives the same value it is used instead, being much faster (json-fast.ts).
 * The YAML is read the way Kubernetes tools read it, as YAML 1.1 (`yes`, `on`, `off` are booleans,
 * `0755` is octal), because the same file must mean the same thing to `kubectl` and to tspod; but
 * without the 1.1 types that JSON cannot carry (timestamps, binary, sets, sexagesimal `1:30`),
 * which stay strings. Duplicate keys are an error, as in the API server's strict decoding.
 *
 * A syntax error is a `ManifestError` whose single issue is `<source>:<line>:<column>`.
 */
import { readFile } from 'node:fs/promises';
import type { Document, LineCounter, Tags } from 'yaml';
import { yamlLib } from '../yaml.js';
import { readStdin } from '../stdin.js';
import { checkDepth, checkSize, depthOf, MAX_NESTING_DEPTH } from './bounds.js';
import { ManifestError } from './errors.js';
import { parseJsonManifest } from './json-fast.js';
import type { Pod } from './types.js';
import { validatePod } from './validate.js';
import { nth } from '../checked.js';

const DROPPED_TAGS = /:(timestamp|binary|omap|pairs|set)$/;

function yamlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    const tag = t as { tag?: string; format?: string };
    return tag.format !== 'TIME' && !DROPPED_TAGS.test(tag.tag ?? '');
  });
}

function syntaxError(source: string, line: number, col: number, what: string, cause?: unknown): ManifestError {
  const message = what.charAt(0).toLowerCase() + what.slice(1);
  return new ManifestError([{ path: `${source}:${line}:${col}`, message }], { cause, source });
}

/** Parses one JSON or YAML document; `source` names it in error messages. */
export function parseManifest(text: string, source: string): unknown {
  const docs = parseDocuments(text, source);
  const second = docs[1];
  if (second) {
    const { line, col } = second.position;
    throw syntaxError(source, line, col, `expected one document (one Pod), found ${docs.length}`);
  }
  return nth(docs, 0).value; // an empty manifest is refused by parseDocuments
}

export interface ParsedDocument {
  value: unknown;
  /** where the document starts in its source */
  position: { line: number; col: number };
}

/**
 * A carriage return not followed by a line feed is a line break in YAML 1.1 and 1.2 alike (and in
 * JSON it is white space), as go-yaml reads it; the YAML library reads only LF and CR LF as breaks,
 * so `{"a":\r1}` was the string "\r1" to it and 1 to JSON.parse. Line breaks in scalars are read as
 * LF in any case (YAML's line break normalisation), so rewriting a lone CR as LF changes no value.
 */
export function normalizeBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

/** Parses every document of a JSON or YAML text (`---` between them); at least one. */
export function parseDocuments(raw: string, source: string): ParsedDocument[] {
  checkSize(raw, source);
  // Before the depth is measured: it counts lines as the YAML reading will see them.
  const text = normalizeBreaks(raw);
  // Before the YAML library sees the text: it recurses per level and would overflow the stack.
  checkDepth(text, source);
  const json = parseJsonManifest(text);
  if (json) return [{ value: json, position: { line: 1, col: 1 } }];
  return parseYamlDocuments(text, source);
}

/** parseDocuments through the YAML parser only (also what json-fast.ts is compared with). */
export function parseYamlDocuments(raw: string, source: string): ParsedDocument[] {
  const { isScalar, LineCounter, parseAllDocuments } = yamlLib();
  const text = normalizeBreaks(raw);
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: '1.1',
    customTags: yamlTags,
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter: lines,
  });
  const all: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  for (const doc of all) {
    const [first] = doc.errors;
    if (first) {
      const { line, col } = lines.linePos(first.pos[0]);
      throw syntaxError(source, line, col, first.message, first);
    }
  }
  // Empty documents (a trailing `---`) are skipped, as kubectl skips them.
  const real = all.filter((d) => !(d.contents === null || (isScalar(d.contents) && d.contents.value === null)));
  if (real.length === 0) throw syntaxError(source, 1, 1, 'the manifest is empty');
  return real.map((d) => ({ value: toJS(d, source, lines), position: lines.linePos(d.range[0]) }));
}

function toJS(doc: Document.Parsed, source: string, lines: LineCounter): unknown {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const { line, col } = lines.linePos(doc.range[0]);
    throw syntaxError(source, line, col, err instanceof Error ? err.message : String(err), err);
  }
  // Aliases can nest what the text does not: the validator walks the value recursively.
  if (depthOf(value) > MAX_NESTING_DEPTH) {
    const { line, col } = lines.linePos(doc.range[0]);
    throw syntaxError(
      source,
      line,
      col,
      `nests more than ${MAX_NESTING_DEPTH} levels deep once its aliases are expanded (tspod's limit)`,
    );
  }
  return value;
}

export interface LoadOptions {
  ignoreUnsupported?: boolean;
  /** How to read standard input for the source `-` (tests pass their own). */
  readStdin?: () => Promise<string>;
}

/** Reads, parses, validates and defaults the manifest at `source` (a path, or `-` for stdin). */
export async function loadManifest(source: string, opts: LoadOptions = {}): Promise<{ pod: Pod; warnings: string[] }> {
  const name = source === '-' ? '<stdin>' : source;
  let text: string;
  try {
    text = source === '-' ? await (opts.readStdin ?? readStdin)() : await readFile(source, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ManifestError([{ path: name, message: `cannot read the manifest: ${why}` }], {
      cause: err,
      source: name,
    });
  }
  const obj = parseManifest(text, name);
  try {
    return validatePod(obj, { ignoreUnsupported: opts.ignoreUnsupported });
  } catch (err) {
    if (err instanceof ManifestError) err.source = name;
    throw err;
  }
}
