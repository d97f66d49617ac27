/**
 * Kubernetes variable references: `$(NAME)` in a container's `env[].value`, `command` and `args`.
 *
 * The rules (the kubelet's, which every conformant runtime follows):
 * - `$(NAME)` is replaced by the variable's value when the lookup knows `NAME`;
 * - an unknown `$(NAME)` is left exactly as written, so a shell can still expand it later;
 * - `$$` is a literal `$`, which is how to write a literal reference: `$$(NAME)` gives `$(NAME)`;
 * - a `$(` with no closing `)` is left as written, as is a `$` before any other character or at
 *   the end of the string.
 * The expansion is a single pass: a value that itself contains `$(X)` is not expanded again.
 */

export type Lookup = (name: string) => string | undefined;

export function expandVars(s: string, lookup: Lookup): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const dollar = s.indexOf('$', i);
    if (dollar < 0 || dollar === s.length - 1) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, dollar);
    const next = s[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '(') {
      const close = s.indexOf(')', dollar + 2);
      if (close < 0) {
        // Unterminated: keep "$(" and go on scanning just after it.
        out += '$(';
        i = dollar + 2;
        continue;
      }
      const name = s.slice(dollar + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += '$' + next;
      i = dollar + 2;
    }
  }
  return out;
}
