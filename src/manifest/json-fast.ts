/**
 * A JSON manifest without the YAML parser (issue 15): `JSON.parse` where it means exactly what the
 * YAML 1.1 reading of parse.ts means, and nothing otherwise.
 *
 * Every JSON text is a YAML document, and parse.ts reads JSON as YAML so both get the same errors.
 * For most JSON texts the two readings give the same value, and `JSON.parse` is tens of times
 * faster. They differ in a few places, and there this module declines (`undefined`) and the caller
 * parses as YAML, which also reports every syntax error with its position:
 * - a duplicate key: JSON.parse keeps the last, the strict YAML reading refuses the document;
 * - `<<` as a key (a YAML 1.1 merge key), `__proto__`, an escaped key;
 * - a number other than a plain integer or decimal (an exponent, `-0`): YAML 1.1's number forms
 *   are not JSON's, so rather than match them case by case these go to the YAML reading;
 * - a text that does not start with `{` or `[` (a byte-order mark, leading space, a comment, a
 *   scalar), so that the document's position is always line 1, column 1;
 * - anything JSON.parse refuses.
 * test/unit/manifest/json-fast.test.ts compares the two readings on generated documents.
 */

/**
 * The keys and the number tokens of a JSON text, counted by a small scan: a string followed by
 * `:` is a key. Undefined when a number or key is one of the declined forms above.
 */
function scan(text: string): number | undefined {
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      let j = i + 1;
      while (j < text.length && (text[j] === ' ' || text[j] === '\n' || text[j] === '\r' || text[j] === '\t')) j++;
      if (text[j] === ':') {
        const key = text.slice(start + 1, i);
        if (key === '<<' || key.includes('\\') || key === '__proto__') return undefined;
        keys++;
      }
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i;
      while (j < text.length && /[-+.eE0-9]/.test(text[j] ?? '')) j++;
      const token = text.slice(i, j);
      if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(token) || /^-0(\.0*)?$/.test(token)) return undefined;
      i = j - 1;
    }
  }
  return keys;
}

/** Keys in every object of a parsed value. */
function keysIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + keysIn(v), 0);
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  for (const v of Object.values(value)) n += 1 + keysIn(v);
  return n;
}

/** The value of a JSON manifest when reading it as JSON means what the YAML reading means. */
export function parseJsonManifest(text: string): object | undefined {
  if (text[0] !== '{' && text[0] !== '[') return undefined;
  const keys = scan(text);
  if (keys === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || keysIn(value) !== keys) return undefined;
  return value;
}
