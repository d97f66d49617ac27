/**
 * Value checks for single fields of the table that are not names: paths, images, enumerations that
 * Kubernetes allows but tspod implements only in part.
 *
 * Paths inside a container (`mountPath`, `workingDir`) must be absolute and free of `..`: they are
 * resolved inside the container's root, and a `..` could only mean escaping it. Mounting over
 * `/proc` is refused because the runtime mounts the container's own procfs there and masks parts
 * of it; a volume on top would undo that masking. `subPath` is relative to the volume, never `..`.
 */
import { COMMON_FIELDS, ENV_ONLY_FIELDS, isSubscriptField, VOLUME_ONLY_FIELDS } from './downward.js';
import { qualifiedName } from './names.js';
import { groups } from '../checked.js';

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

/**
 * A string that becomes an argument or environment string of execve (command, args, an exec
 * handler's command, an env value): the kernel reads each up to its first NUL, so "a\0b" would
 * run as "a" (runc's Go refuses it at exec, EINVAL); refused here, before anything is made.
 */
export function execString(s: string): string | undefined {
  const at = s.indexOf('\0');
  return at < 0
    ? undefined
    : `may not contain a NUL character (at ${at} of ${JSON.stringify(s)}): execve would end the string there`;
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

const ENV_FIELDS: readonly string[] = [...COMMON_FIELDS, ...ENV_ONLY_FIELDS];
const VOLUME_FIELDS: readonly string[] = [...COMMON_FIELDS, ...VOLUME_ONLY_FIELDS];

/** A subscript's key is a label or annotation key: a qualified name. */
function subscriptIssue(s: string): string | undefined {
  const m = /\['(.+)'\]$/.exec(s);
  if (!m) return `invalid field path "${s}": a subscript is ['KEY']`;
  const [key] = groups(m, 1);
  const problem = qualifiedName(key);
  return problem ? `invalid field path "${s}": ${problem}` : undefined;
}

/** `env[].valueFrom.fieldRef.fieldPath`. */
export function downwardField(s: string): string | undefined {
  if (ENV_FIELDS.includes(s)) return undefined;
  if (isSubscriptField(s)) return subscriptIssue(s);
  const also = VOLUME_FIELDS.includes(s) ? ` (${s} as a whole is only for downwardAPI volume files)` : '';
  return (
    `invalid field path "${s}"${also}: must be one of ${ENV_FIELDS.join(', ')}, ` +
    `metadata.labels['KEY'], metadata.annotations['KEY']`
  );
}

/** `downwardAPI.items[].fieldRef.fieldPath`: no addresses (a file is written before the network exists). */
export function volumeDownwardField(s: string): string | undefined {
  if (VOLUME_FIELDS.includes(s)) return undefined;
  if (isSubscriptField(s)) return subscriptIssue(s);
  const also = ENV_FIELDS.includes(s) ? ` (${s} is only for environment variables)` : '';
  return (
    `invalid field path "${s}"${also}: must be one of ${VOLUME_FIELDS.join(', ')}, ` +
    `metadata.labels['KEY'], metadata.annotations['KEY']`
  );
}
