/**
 * How a bad manifest is reported: one `ManifestError` carrying every issue found, each naming the
 * field by its path in the manifest (`spec.containers[1].volumeMounts[0].name`), or the file
 * position (`pod.yaml:3:7`) when the text itself cannot be parsed.
 *
 * Paths follow the Kubernetes API server's notation: `.` between fields, `[i]` for a list index,
 * `[key]` for a map key. The error's message is its issues one per line, `path: message`, so it can
 * be printed as it is.
 */

export interface Issue {
  path: string;
  message: string;
}

/** The path of the manifest as a whole, when it is not an object at all. */
export const ROOT_PATH = '(root)';

export class ManifestError extends Error {
  override name = 'ManifestError';
  readonly issues: Issue[];
  /** The file (or `<stdin>`) the manifest came from, when it came from one. */
  source?: string;

  constructor(issues: Issue[], options?: { cause?: unknown; source?: string }) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('\n'), { cause: options?.cause });
    this.issues = issues;
    this.source = options?.source;
  }
}

/** `spec` + `containers` → `spec.containers`; the root path is empty. */
export function fieldPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}

/** A path given relative to `parent`: '' is `parent` itself, `[k]` or `x.y` go below it. */
export function relativePath(parent: string, relative: string): string {
  if (relative === '') return parent;
  return relative.startsWith('[') ? parent + relative : fieldPath(parent, relative);
}

export function issue(path: string, message: string): Issue {
  return { path: path || ROOT_PATH, message };
}
