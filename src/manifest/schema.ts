/**
 * The vocabulary the field table (`supported.ts`) is written in.
 *
 * A manifest is described as a tree of nodes. Every field of the Kubernetes v1 Pod schema that can
 * appear where tspod looks has a node, so a name that is in no node is a typo (`contianers`), not a
 * feature tspod lacks. A node is one of:
 *
 * - a value: `str`, `int`, `bool`, `quantity`, with its format, range or allowed values;
 * - a structure: `obj` (named fields, plus rules across them), `list`, `map` (string → string),
 *   `resourceList` (`cpu` and `memory` quantities);
 * - `unsupported`: a real Kubernetes field that tspod does not implement. It is an error that names
 *   it, unless it is `ignorable` (it cannot weaken isolation) and `--ignore-unsupported` was given,
 *   which makes it a warning. `inert` values mean the same as the field's absence (`tty: false`,
 *   `tolerations: []`) and are accepted silently; `null` is absence for every field;
 * - `serverSet`: a field the API server writes (`resourceVersion`); dropped, as the server does.
 */
import type { Issue } from './errors.js';

/** What is wrong with a value, or undefined when nothing is. */
export type Check<T> = (value: T) => string | undefined;

/** Cross-field rules of one object: issues with paths relative to it ('' for the object itself). */
export type Rules = (cleaned: Record<string, unknown>, raw: Record<string, unknown>) => Issue[];

interface Common {
  /** Absent, null, "" and [] are all "required". */
  required?: boolean;
}

export interface StringNode extends Common {
  kind: 'string';
  values?: readonly string[];
  check?: Check<string>;
}

export interface IntegerNode extends Common {
  kind: 'integer';
  min: number;
  max: number;
}

export interface BooleanNode extends Common {
  kind: 'boolean';
}

export interface QuantityNode extends Common {
  kind: 'quantity';
  /** Zero is refused too (an emptyDir of size 0). */
  positive?: boolean;
}

export interface ListNode extends Common {
  kind: 'list';
  items: Node;
  maxItems?: number;
}

export interface MapNode extends Common {
  kind: 'map';
  key: Check<string>;
  value?: Check<string>;
  /** The total size of keys and values, as the API server limits annotations. */
  maxBytes?: number;
}

/** Kubernetes' IntOrString: a number in [min, max], or a string passing `check` (a port name). */
export interface IntOrStringNode extends Common {
  kind: 'intOrString';
  min: number;
  max: number;
  check: Check<string>;
}

export interface ResourceListNode extends Common {
  kind: 'resourceList';
}

export interface ObjectNode extends Common {
  kind: 'object';
  fields: Readonly<Record<string, Node>>;
  rules?: Rules;
}

export interface UnsupportedNode {
  kind: 'unsupported';
  ignorable: boolean;
  inert?: readonly unknown[];
  /** why a single node cannot honour it ("needs an API server to issue the token") */
  why?: string;
}

export interface ServerSetNode {
  kind: 'serverSet';
}

export type Node =
  | StringNode
  | IntegerNode
  | BooleanNode
  | QuantityNode
  | ListNode
  | MapNode
  | ResourceListNode
  | IntOrStringNode
  | ObjectNode
  | UnsupportedNode
  | ServerSetNode;

export const INT32_MAX = 2 ** 31 - 1;

export const str = (o: Omit<StringNode, 'kind'> = {}): StringNode => ({ kind: 'string', ...o });
export const bool = (o: Omit<BooleanNode, 'kind'> = {}): BooleanNode => ({ kind: 'boolean', ...o });
export const quantity = (o: Omit<QuantityNode, 'kind'> = {}): QuantityNode => ({ kind: 'quantity', ...o });
export const resourceList = (): ResourceListNode => ({ kind: 'resourceList' });
export const serverSet: ServerSetNode = { kind: 'serverSet' };
export const intOrString = (o: Omit<IntOrStringNode, 'kind'>): IntOrStringNode => ({ kind: 'intOrString', ...o });

export function int(o: Partial<Omit<IntegerNode, 'kind'>> = {}): IntegerNode {
  return { kind: 'integer', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, ...o };
}

export function list(items: Node, o: Omit<ListNode, 'kind' | 'items'> = {}): ListNode {
  return { kind: 'list', items, ...o };
}

export function map(key: Check<string>, o: Omit<MapNode, 'kind' | 'key'> = {}): MapNode {
  return { kind: 'map', key, ...o };
}

export function obj(fields: Record<string, Node>, o: Omit<ObjectNode, 'kind' | 'fields'> = {}): ObjectNode {
  return { kind: 'object', fields, ...o };
}

/** A Kubernetes field tspod does not implement and must never ignore. */
export function unsupported(...inert: unknown[]): UnsupportedNode {
  return { kind: 'unsupported', ignorable: false, inert };
}

/** A Kubernetes field tspod does not implement but may run without: it cannot weaken isolation. */
export function ignorable(...inert: unknown[]): UnsupportedNode {
  return { kind: 'unsupported', ignorable: true, inert };
}

/** A field only a cluster can honour: refused with the reason, ignorable (its absence widens nothing). */
export function needsCluster(why: string, ...inert: unknown[]): UnsupportedNode {
  return { kind: 'unsupported', ignorable: true, inert, why };
}
