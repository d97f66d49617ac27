/**
 * Printing Pod objects as `kubectl get -o ...` does: `json` and `yaml` (one pod as itself, several
 * or a listing as a `v1` `List`), `name` (`pod/NAME`). The table formats are ps-table.ts.
 */
import { yamlLib } from '../yaml.js';
import type { PodObject } from './view.js';
import { only } from '../checked.js';

export const OBJECT_FORMATS = ['json', 'yaml', 'name'] as const;
export type ObjectFormat = (typeof OBJECT_FORMATS)[number];

/** A `v1` `List`, with kubectl's key order and its empty `resourceVersion`. */
export function podList(items: PodObject[]): object {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

export function formatObject(value: object, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 4) + '\n' : yamlLib().stringify(value, { lineWidth: 0 });
}

/** `list`: always a List (a listing); else one pod prints as itself. */
export function formatPods(pods: PodObject[], format: ObjectFormat, list: boolean): string {
  if (format === 'name') return pods.map((p) => `pod/${p.metadata.name}\n`).join('');
  const one = list ? undefined : only(pods);
  return formatObject(one ?? podList(pods), format);
}
