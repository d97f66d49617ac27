/**
 * Walks a parsed manifest against the field table, collecting every issue on the way.
 *
 * The result is a *cleaned* copy: only the fields tspod implements, each of the right type, with
 * server-set and ignored fields dropped and numbers given as quantities turned into strings.
 * A value of the wrong type is reported and left out, so that the walk can go on and report the
 * rest of the manifest too; a list element of the wrong type is replaced by `{}` (when the list
 * holds objects) so that later messages keep the right indexes.
 *
 * `null` is the absence of a field, as in the Kubernetes API (`command: null` is no command).
 */
import { fieldPath, indexPath, issue, keyPath, relativePath, type Issue } from './errors.js';
import { isQuantity, parseQuantity } from './quantity.js';
import type { ListNode, MapNode, Node, ObjectNode, QuantityNode, StringNode, UnsupportedNode } from './schema.js';
import { qualifiedName } from './names.js';
import { closest } from './suggest.js';

export interface WalkContext {
  issues: Issue[];
  warnings: string[];
  ignoreUnsupported: boolean;
}

export function walk(node: Node, value: unknown, path: string, ctx: WalkContext): unknown {
  switch (node.kind) {
    case 'string':
      return walkString(node, value, path, ctx);
    case 'integer':
      if (!Number.isSafeInteger(value)) return typeIssue('an integer', value, path, ctx);
      if ((value as number) < node.min || (value as number) > node.max) {
        ctx.issues.push(issue(path, rangeMessage(value as number, node.min, node.max)));
        return undefined;
      }
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : typeIssue('a boolean', value, path, ctx);
    case 'quantity':
      return walkQuantity(node, value, path, ctx);
    case 'list':
      return walkList(node, value, path, ctx);
    case 'map':
      return walkMap(node, value, path, ctx);
    case 'resourceList':
      return walkResourceList(value, path, ctx);
    case 'intOrString':
      if (typeof value === 'string') return walkString({ kind: 'string', check: node.check }, value, path, ctx);
      return walk({ kind: 'integer', min: node.min, max: node.max }, value, path, ctx);
    case 'object':
      return walkObject(node, value, path, ctx);
    case 'unsupported':
      unsupportedField(node, value, path, ctx);
      return undefined;
    case 'serverSet':
      return undefined;
  }
}

function walkString(node: StringNode, value: unknown, path: string, ctx: WalkContext): unknown {
  if (typeof value !== 'string') return typeIssue('a string', value, path, ctx);
  if (node.values && !node.values.includes(value)) {
    const allowed = node.values.map((v) => `"${v}"`);
    const must = allowed.length === 1 ? `must be ${allowed[0]}` : `must be one of ${allowed.join(', ')}`;
    ctx.issues.push(issue(path, `invalid value "${value}": ${must}`));
    return undefined;
  }
  const problem = node.check?.(value);
  if (problem) {
    ctx.issues.push(issue(path, problem));
    return undefined;
  }
  return value;
}

function walkQuantity(node: QuantityNode, value: unknown, path: string, ctx: WalkContext): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return typeIssue('a quantity', value, path, ctx);
  if (!isQuantity(value)) {
    ctx.issues.push(
      issue(path, `invalid quantity "${value}": expected a number with an optional suffix (64Mi, 1G, 500m, 1e3)`),
    );
    return undefined;
  }
  const n = parseQuantity(value);
  const problem = n < 0 ? 'must not be negative' : n === 0 && node.positive ? 'must be greater than zero' : undefined;
  if (problem) {
    ctx.issues.push(issue(path, `invalid quantity "${value}": ${problem}`));
    return undefined;
  }
  return String(value);
}

function walkList(node: ListNode, value: unknown, path: string, ctx: WalkContext): unknown {
  if (!Array.isArray(value)) return typeIssue('a list', value, path, ctx);
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    ctx.issues.push(issue(path, `must have at most ${node.maxItems} items, has ${value.length}`));
  }
  const out: unknown[] = [];
  value.forEach((item, i) => {
    const cleaned = walk(node.items, item, indexPath(path, i), ctx);
    if (cleaned !== undefined) out.push(cleaned);
    else if (node.items.kind === 'object') out.push({});
  });
  return out;
}

function walkMap(node: MapNode, value: unknown, path: string, ctx: WalkContext): unknown {
  if (!isPlainObject(value)) return typeIssue('an object', value, path, ctx);
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [k, v] of Object.entries(value)) {
    const p = keyPath(path, k);
    if (typeof v !== 'string') {
      typeIssue('a string', v, p, ctx);
      continue;
    }
    const problem = node.key(k) ?? node.value?.(v);
    if (problem) ctx.issues.push(issue(p, problem));
    else if (k !== '__proto__') out[k] = v;
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (node.maxBytes !== undefined && bytes > node.maxBytes) {
    ctx.issues.push(issue(path, `keys and values total ${bytes} bytes, more than the limit of ${node.maxBytes}`));
  }
  return out;
}

function walkResourceList(value: unknown, path: string, ctx: WalkContext): unknown {
  if (!isPlainObject(value)) return typeIssue('an object', value, path, ctx);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const p = keyPath(path, k);
    const kind = resourceKind(k);
    if (typeof kind === 'string' && kind !== 'standard' && kind !== 'extended') {
      ctx.issues.push(issue(p, kind));
      continue;
    }
    if (v === null) continue;
    const cleaned = walkQuantity({ kind: 'quantity' }, v, p, ctx);
    if (cleaned === undefined) continue;
    // Extended resources are counted, never divided: the API server wants whole numbers.
    if (kind === 'extended' && !Number.isInteger(parseQuantity(cleaned as string))) {
      ctx.issues.push(issue(p, `must be an integer, got "${cleaned as string}"`));
      continue;
    }
    if (k !== '__proto__') out[k] = cleaned;
  }
  return out;
}

/**
 * `standard` (cpu, memory, ephemeral-storage), `extended` (a domain-qualified name outside
 * kubernetes.io, such as `example.com/dongle`: the node counts them, nothing else), or why not.
 */
export function resourceKind(name: string): 'standard' | 'extended' | string {
  if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage') return 'standard';
  if (name.startsWith('hugepages-'))
    return `resource "${name}" is not supported by tspod (cpu, memory, ephemeral-storage and extended resources are)`;
  const slash = name.indexOf('/');
  const prefix = slash >= 0 ? name.slice(0, slash) : '';
  if (
    slash < 0 ||
    prefix === 'kubernetes.io' ||
    prefix.endsWith('.kubernetes.io') ||
    name.startsWith('requests.') ||
    qualifiedName(name)
  ) {
    return (
      `resource "${name}" must be a standard resource for containers (cpu, memory, ephemeral-storage) ` +
      'or an extended resource named domain/name'
    );
  }
  return 'extended';
}

function walkObject(node: ObjectNode, value: unknown, path: string, ctx: WalkContext): unknown {
  if (!isPlainObject(value)) return typeIssue('an object', value, path, ctx);
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const p = fieldPath(path, name);
    const child = Object.hasOwn(node.fields, name) ? node.fields[name] : undefined;
    if (!child) {
      ctx.issues.push(issue(p, unknownFieldMessage(name, node)));
      continue;
    }
    if (v === null || v === undefined || (isRequired(child) && isEmpty(v))) continue;
    const cleaned = walk(child, v, p, ctx);
    if (cleaned !== undefined) out[name] = cleaned;
  }
  for (const [name, child] of Object.entries(node.fields)) {
    if (isRequired(child) && isEmpty(value[name])) ctx.issues.push(issue(fieldPath(path, name), 'required'));
  }
  for (const found of node.rules?.(out, value) ?? []) {
    ctx.issues.push(issue(relativePath(path, found.path), found.message));
  }
  return out;
}

function unsupportedField(node: UnsupportedNode, value: unknown, path: string, ctx: WalkContext): void {
  if (node.inert?.some((inert) => sameInert(inert, value))) return;
  const why = node.why ? `: ${node.why}` : '';
  if (node.ignorable && ctx.ignoreUnsupported) {
    ctx.warnings.push(`${path}: not supported by tspod${why}, ignored`);
    return;
  }
  const hint = node.ignorable
    ? ' (--ignore-unsupported runs the pod without it)'
    : ctx.ignoreUnsupported
      ? ' (--ignore-unsupported does not apply: running without it could change what the pod may do)'
      : '';
  ctx.issues.push(issue(path, `not supported by tspod${why}${hint}`));
}

function unknownFieldMessage(name: string, node: ObjectNode): string {
  const guess = closest(name, Object.keys(node.fields));
  const base = 'unknown field, not in the Kubernetes v1 Pod schema';
  return guess ? `${base} (did you mean "${guess}"?)` : base;
}

function sameInert(inert: unknown, value: unknown): boolean {
  if (Array.isArray(inert)) return Array.isArray(value) && value.length === 0 && inert.length === 0;
  if (isPlainObject(inert)) return isPlainObject(value) && Object.keys(value).length === 0;
  return inert === value;
}

function typeIssue(expected: string, value: unknown, path: string, ctx: WalkContext): undefined {
  ctx.issues.push(issue(path, `expected ${expected}, got ${describe(value)}`));
  return undefined;
}

function rangeMessage(n: number, min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return `must be at least ${min}, got ${n}`;
  return `must be between ${min} and ${max}, got ${n}`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string ("${value.length > 40 ? value.slice(0, 40) + '...' : value}")`;
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

function isRequired(node: Node): boolean {
  return 'required' in node && node.required === true;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
