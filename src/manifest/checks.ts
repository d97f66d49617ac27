/**
 * Value checks for single fields of the table that are not names: paths, images, enumerations that
 * Kubernetes allows but tspod implements only in part.
 *
 * Paths inside a container (`mountPath`, `workingDir`) must be absolute and free of `..`: they are
 * resolved inside the container's root, and a `..` could only mean escaping it. Mounting over
 * `/proc` is refused because the runtime mounts the container's own procfs there and masks parts
 * of it; a volume on top would undo that masking. `subPath` is relative to the volume, never `..`.
 */
import type { DownwardFieldPath } from './types.js';

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '');
}

function hasBackstep(path: string): boolean {
  return components(path).includes('..');
}

export function absolutePath(s: string): string | undefined {
  if (!s.startsWith('/')) return `"${s}" is not an absolute path`;
  if (hasBackstep(s)) return `"${s}" may not contain '..'`;
  if (s.includes('\0')) return `"${s}" may not contain a NUL character`;
  return undefined;
}

export function mountPath(s: string): string | undefined {
  const problem = absolutePath(s);
  if (problem) return problem;
  const parts = components(s);
  if (parts.length === 0) return `"${s}" is the container's root, which cannot be a volume`;
  if (parts[0] === 'proc') return `"${s}" is under /proc, where volumes may not be mounted`;
  return undefined;
}

export function subPath(s: string): string | undefined {
  if (s.startsWith('/')) return `"${s}" must be a relative path`;
  if (hasBackstep(s)) return `"${s}" may not contain '..'`;
  if (s.includes('\0')) return `"${s}" may not contain a NUL character`;
  return undefined;
}

export function image(s: string): string | undefined {
  if (s.trim() !== s) return `"${s}" may not begin or end with white space`;
  return undefined;
}

export function medium(s: string): string | undefined {
  if (s === '' || s === 'Memory') return undefined;
  if (s === 'HugePages' || s.startsWith('HugePages-')) return `medium "${s}" is not supported by tspod`;
  return `invalid value "${s}": must be one of "", "Memory"`;
}

export function mountPropagation(s: string): string | undefined {
  if (s === 'None') return undefined;
  if (s === 'HostToContainer' || s === 'Bidirectional') {
    return `mount propagation "${s}" is not supported by tspod (only "None")`;
  }
  return `invalid value "${s}": must be one of "None", "HostToContainer", "Bidirectional"`;
}

export const DOWNWARD_FIELDS: readonly DownwardFieldPath[] = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'status.podIP',
  'status.hostIP',
  'spec.nodeName',
  'spec.serviceAccountName',
];

/** Downward API fields that Kubernetes offers to environment variables and tspod does not. */
const DOWNWARD_UNSUPPORTED = [/^metadata\.labels\['.+'\]$/, /^metadata\.annotations\['.+'\]$/, /^status\.podIPs$/, /^status\.hostIPs$/];

export function downwardField(s: string): string | undefined {
  if ((DOWNWARD_FIELDS as readonly string[]).includes(s)) return undefined;
  if (DOWNWARD_UNSUPPORTED.some((re) => re.test(s))) {
    return `field "${s}" is not supported by tspod (supported: ${DOWNWARD_FIELDS.join(', ')})`;
  }
  return `invalid field path "${s}": must be one of ${DOWNWARD_FIELDS.join(', ')}`;
}
