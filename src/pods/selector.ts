/**
 * Label selectors, as `kubectl get -l` reads them (the apimachinery `labels.Parse` grammar): a
 * comma-separated list of requirements, all of which must hold.
 *
 *     app=web, app==web      the label has this value
 *     tier!=db               the label is absent or has another value
 *     env in (prod,staging)  the label has one of the values
 *     env notin (dev)        the label is absent or has none of them
 *     canary, !canary        the label exists / does not exist
 *
 * Keys are qualified names (`[prefix/]name`, the name at most 63 characters), values are label
 * values (at most 63 characters, letters, digits, `-`, `_`, `.`, starting and ending with a letter
 * or digit, or empty). A selector that does not parse is a usage error naming the requirement.
 */
import { groups } from '../checked.js';

export type Requirement =
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

export class SelectorError extends Error {
  readonly status = 125;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function checkKey(key: string, req: string): string {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const ok = NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
  if (!ok)
    throw new SelectorError(`invalid label selector: ${JSON.stringify(req)}: invalid label key ${JSON.stringify(key)}`);
  return key;
}

function checkValue(value: string, req: string): string {
  if (!VALUE.test(value))
    throw new SelectorError(
      `invalid label selector: ${JSON.stringify(req)}: invalid label value ${JSON.stringify(value)}`,
    );
  return value;
}

/** The requirements split at commas outside parentheses. */
function splitRequirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((r) => r.trim());
}

function parseRequirement(req: string): Requirement {
  if (req === '')
    throw new SelectorError('invalid label selector: an empty requirement (two commas, or one at an end)');
  let m = /^!\s*([^\s=!(),]+)$/.exec(req);
  if (m) return { key: checkKey(groups(m, 1)[0], req), op: '!' };
  m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req);
  if (m) {
    const [key, op, list] = groups(m, 1, 2, 3);
    const values = list.split(',').map((v) => checkValue(v.trim(), req));
    if (list.trim() === '')
      throw new SelectorError(`invalid label selector: ${JSON.stringify(req)}: ${op} needs at least one value`);
    return { key: checkKey(key, req), op: op as 'in' | 'notin', values };
  }
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(req);
  if (m) {
    const [key, op, value] = groups(m, 1, 2, 3);
    return { key: checkKey(key, req), op: op === '!=' ? '!=' : '=', value: checkValue(value, req) };
  }
  m = /^([^\s=!(),]+)$/.exec(req);
  if (m) return { key: checkKey(groups(m, 1)[0], req), op: 'exists' };
  throw new SelectorError(
    `invalid label selector: unable to parse requirement ${JSON.stringify(req)} ` +
      '(expected KEY, !KEY, KEY=VALUE, KEY!=VALUE, KEY in (V,...), KEY notin (V,...))',
  );
}

/** Every requirement of a selector (an empty selector selects everything). */
export function parseSelector(selector: string): Requirement[] {
  if (selector.trim() === '') return [];
  return splitRequirements(selector).map(parseRequirement);
}

function holds(r: Requirement, labels: Record<string, string>): boolean {
  const v = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined; // not a key of Object.prototype
  switch (r.op) {
    case 'exists':
      return v !== undefined;
    case '!':
      return v === undefined;
    case '=':
      return v === r.value;
    case '!=':
      return v !== r.value;
    case 'in':
      return v !== undefined && r.values.includes(v);
    case 'notin':
      return v === undefined || !r.values.includes(v);
  }
}

export function matches(requirements: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  return requirements.every((r) => holds(r, labels ?? {}));
}
