/**
 * The downward API: what a pod may read about itself, in environment variables (`fieldRef`,
 * `resourceFieldRef`) and in the files of `downwardAPI` volumes and projections.
 *
 * Fields (the kubelet's `podFieldSelectorRuntimeValue` and `fieldpath.ExtractFieldPathAsString`):
 * `metadata.name|namespace|uid`, one label or annotation (`metadata.labels['app']`), and for
 * variables only the pod's and node's addresses and names; a volume file may also hold *all*
 * labels or annotations (`metadata.labels`), one `key="value"` line each, sorted by key, the
 * value quoted as Go's `%q` quotes it, no newline after the last.
 *
 * Resources (`ExtractContainerResourceValue`): a container's request or limit divided by
 * `divisor` (default `1`) and rounded *up* to an integer: `limits.cpu: 500m` with divisor `1`
 * reads `1`, with `1m` reads `500`. A container without a limit reads the node's allocatable
 * instead, as the kubelet merges it in before extracting; a missing request reads `0`.
 */
import { parseCpuMillis, parseQuantity } from './quantity.js';
import type { Allocatable, Container, FieldFacts, ResourceFieldSelector } from './types.js';

export type { Allocatable, FieldFacts };

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** The fields every downward consumer may read (env, volume files). */
export const COMMON_FIELDS = ['metadata.name', 'metadata.namespace', 'metadata.uid'] as const;
/** Only environment variables: addresses and names known once the pod is placed and networked. */
export const ENV_ONLY_FIELDS = [
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;
/** Only volume files: the whole label and annotation maps. */
export const VOLUME_ONLY_FIELDS = ['metadata.labels', 'metadata.annotations'] as const;

export const RESOURCES = [
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
] as const;

/** Go's `%q` of a string: double quotes, backslash escapes for quotes, backslashes and controls. */
export function goQuote(s: string): string {
  const named: Record<string, string> = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '"': '\\"',
    '\\': '\\\\',
  };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (named[ch]) out += named[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** `fieldpath.FormatMap`: `k="v"` lines in key order, the last without its newline. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.entries(m ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${goQuote(v)}`)
    .join('\n');
}

/** The value of a field path (already validated for where it is used). */
export function fieldValue(fieldPath: string, f: FieldFacts): string {
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) return (sub[1] === 'labels' ? f.labels : f.annotations)?.[sub[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return f.podName;
    case 'metadata.namespace':
      return f.namespace;
    case 'metadata.uid':
      return f.uid;
    case 'metadata.labels':
      return formatMap(f.labels);
    case 'metadata.annotations':
      return formatMap(f.annotations);
    case 'spec.nodeName':
      return f.nodeName;
    case 'spec.serviceAccountName':
      return f.serviceAccountName;
    case 'status.hostIP':
      return f.hostIP ?? '';
    case 'status.hostIPs':
      return (f.hostIPs ?? (f.hostIP ? [f.hostIP] : [])).join(',');
    case 'status.podIP':
      return f.podIP ?? '';
    case 'status.podIPs':
      return (f.podIPs ?? (f.podIP ? [f.podIP] : [])).join(',');
  }
  throw new Error(`unsupported field path "${fieldPath}"`);
}

/** Whether `s` is `metadata.labels['key']` or `metadata.annotations['key']`. */
export function isSubscriptField(s: string): boolean {
  return SUBSCRIPT.test(s);
}

/** The value of a resourceFieldRef for `container` (the one named by containerName, or the reader). */
export function resourceValue(ref: ResourceFieldSelector, container: Container, node: Allocatable): string {
  const [kind, name] = ref.resource.split('.') as ['limits' | 'requests', string];
  const own = container.resources[kind] as Record<string, string> | undefined;
  let q = own?.[name];
  // MergeContainerResourceLimits: an absent (or zero) limit is the node's allocatable.
  if (kind === 'limits' && (q === undefined || parseQuantity(q) === 0)) q = allocatableOf(name, node);
  // An unset (or zero) divisor is 1, as the kubelet reads it.
  const divisor = ref.divisor && parseQuantity(ref.divisor) !== 0 ? ref.divisor : '1';
  if (name === 'cpu') return String(Math.ceil(parseCpuMillis(q ?? '0') / parseCpuMillis(divisor)));
  return String(Math.ceil(Math.ceil(parseQuantity(q ?? '0')) / Math.ceil(parseQuantity(divisor))));
}

function allocatableOf(name: string, node: Allocatable): string {
  if (name === 'cpu') return `${node.cpuMillis}m`;
  if (name === 'memory') return String(node.memoryBytes);
  return String(node.ephemeralStorageBytes);
}

/** The API server's divisors: 1m or 1 for CPU; 1 and the decimal and binary prefixes for bytes. */
export function divisorIssue(resource: string, divisor: string): string | undefined {
  if (parseQuantity(divisor) === 0) return undefined;
  const allowed = resource.endsWith('.cpu')
    ? ['1m', '1']
    : ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];
  if (allowed.some((a) => parseQuantity(a) === parseQuantity(divisor))) return undefined;
  return `invalid divisor "${divisor}" for ${resource}: must be one of ${allowed.join(', ')}`;
}
