/**
 * Selectors, as the scheduler evaluates them against this node and the pods on it.
 *
 * A node selector is a list of terms, ORed; a term is a list of requirements, ANDed; a term with no
 * requirement selects no node. Requirements on labels use `In`, `NotIn` (also true when the label
 * is absent), `Exists`, `DoesNotExist`, and `Gt`/`Lt`, which compare the label and the value as
 * integers (when either is not an integer the requirement is not met). A node's fields are
 * selected by `metadata.name` only. `nodeSelector` is a plain map: every label must be there with
 * exactly that value.
 *
 * Label selectors choose pods (pod affinity, spread constraints): `matchLabels` and
 * `matchExpressions` ANDed, an empty selector chooses every pod, an absent one none.
 *
 * Each check returns `undefined` when it holds, or what failed, in words, for explanations.
 */
import type {
  LabelSelector,
  LabelSelectorRequirement,
  NodeSelectorRequirement,
  NodeSelectorTerm,
} from '../manifest/types.js';
import type { NodeInfo } from '../node/node.js';

const INT64 = /^[+-]?\d{1,19}$/;

function asInt(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

function describe(r: { key: string; operator: string; values?: string[] }): string {
  const vals = r.values?.length ? ` [${r.values.join(', ')}]` : '';
  return `${r.key} ${r.operator}${vals}`;
}

function labelIs(labels: Record<string, string>, key: string): string {
  return Object.hasOwn(labels, key) ? `${key}=${labels[key]}` : `no label ${key}`;
}

/** Why a label requirement is not met by these labels, or undefined when it is. */
export function unmetRequirement(
  r: NodeSelectorRequirement | LabelSelectorRequirement,
  labels: Record<string, string>,
): string | undefined {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  const values = r.values ?? [];
  let ok: boolean;
  switch (r.operator) {
    case 'In':
      ok = has && values.includes(value!);
      break;
    case 'NotIn':
      ok = !has || !values.includes(value!);
      break;
    case 'Exists':
      ok = has;
      break;
    case 'DoesNotExist':
      ok = !has;
      break;
    case 'Gt':
    case 'Lt': {
      const want = asInt(values[0] ?? '');
      if (want === undefined) return `${describe(r)}: "${values[0]}" is not an integer`;
      const got = has ? asInt(value!) : undefined;
      if (has && got === undefined) return `${describe(r)}: ${labelIs(labels, r.key)} is not an integer`;
      ok = got !== undefined && (r.operator === 'Gt' ? got > want : got < want);
      break;
    }
    default:
      return `${describe(r)}: unknown operator`;
  }
  return ok ? undefined : `${describe(r)}: ${labelIs(labels, r.key)}`;
}

function unmetField(r: NodeSelectorRequirement, node: NodeInfo): string | undefined {
  const ok = r.key === 'metadata.name' && (r.operator === 'In') === (r.values ?? []).includes(node.name);
  return ok ? undefined : `${describe(r)}: the node is ${node.name}`;
}

/** Why a node selector term does not select the node, or undefined when it does. */
export function unmetTerm(term: NodeSelectorTerm, node: NodeInfo): string | undefined {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return 'an empty term selects no node';
  for (const r of exprs) {
    const why = unmetRequirement(r, node.labels);
    if (why) return why;
  }
  for (const r of fields) {
    const why = unmetField(r, node);
    if (why) return why;
  }
  return undefined;
}

/** Why `nodeSelector` does not select the node, or undefined when it does. */
export function unmetNodeSelector(selector: Record<string, string>, node: NodeInfo): string | undefined {
  for (const [k, v] of Object.entries(selector)) {
    if (node.labels[k] !== v) return `nodeSelector ${k}=${v}: ${labelIs(node.labels, k)}`;
  }
  return undefined;
}

/** Does the label selector choose these labels? An absent selector chooses nothing. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (selector.matchExpressions ?? []).every((r) => unmetRequirement(r, labels) === undefined);
}
