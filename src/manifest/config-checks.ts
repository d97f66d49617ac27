/**
 * The formats of ConfigMap and Secret data: keys (the API server's `IsConfigMapKey`: letters,
 * digits, `-`, `_`, `.`, at most 253 characters, never `.` or `..`) and the relative paths that
 * `items[].path` places a key at inside a volume (no `..` component, not absolute), so a file of
 * a configMap volume can never be written outside its volume.
 */
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

export function configKey(s: string): string | undefined {
  if (s.length > 253) return `"${s}" is longer than 253 characters`;
  if (!CONFIG_KEY.test(s)) return `invalid key "${s}": must consist of letters, digits, '-', '_' or '.'`;
  if (s === '.' || s === '..') return `invalid key "${s}": may not be '.' or '..'`;
  return undefined;
}

export function keyPath(s: string): string | undefined {
  if (s === '') return 'must not be empty';
  if (s.startsWith('/')) return `"${s}" must be a relative path`;
  if (s.split('/').includes('..')) return `"${s}" may not contain '..'`;
  if (s.startsWith('..')) return `"${s}" may not start with '..'`;
  if (s.includes('\0')) return `"${s}" may not contain a NUL character`;
  return undefined;
}
