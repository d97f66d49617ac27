/**
 * Waiting for a pod to reach a state, as `kubectl wait` does: `condition=Ready` (or any condition
 * type, `=False` for the opposite), `delete` (the pod is gone), `jsonpath={.status.phase}=Running`
 * (a field of the Pod object equals a value). The pod's recorded state is read again every 100 ms;
 * it is the supervisor that writes it, so nothing here needs the pod's cooperation.
 */
import type { Roots } from '../paths.js';
import { readPod } from './pods.js';
import { podObject, type PodObject } from './view.js';
import { groups } from '../checked.js';

export type WaitFor =
  | { kind: 'condition'; type: string; status: 'True' | 'False' }
  | { kind: 'delete' }
  | { kind: 'jsonpath'; path: (string | number)[]; value: string };

/** `--for` as kubectl takes it; undefined when it is not one of these forms. */
export function parseWaitFor(text: string): WaitFor | undefined {
  if (text === 'delete') return { kind: 'delete' };
  const cond = /^condition=([A-Za-z]+)(?:=(true|false))?$/i.exec(text);
  if (cond)
    return {
      kind: 'condition',
      type: groups(cond, 1)[0],
      status: cond[2]?.toLowerCase() === 'false' ? 'False' : 'True',
    };
  const jp = /^jsonpath=\{((?:\.[A-Za-z0-9_-]+(?:\[\d+\])*)+)\}=(.*)$/.exec(text);
  if (!jp) return undefined;
  const [fields, value] = groups(jp, 1, 2);
  // a name or an index
  const path = [...fields.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)].map((m) => m[1] ?? Number(m[2]));

  return { kind: 'jsonpath', path, value };
}

/** Does the pod (undefined: there is none) satisfy the wait? */
export function satisfied(w: WaitFor, pod: PodObject | undefined): boolean {
  if (w.kind === 'delete') return pod === undefined;
  if (!pod) return false;
  if (w.kind === 'condition') {
    return pod.status.conditions.some((c) => c.type.toLowerCase() === w.type.toLowerCase() && c.status === w.status);
  }
  let v: unknown = pod;
  for (const key of w.path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined;
  return (
    v !== undefined && (typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean)) === w.value
  );
}

export class WaitTimeoutError extends Error {}

/**
 * Wait until the pod satisfies `w`, or `timeoutMs` passes (WaitTimeoutError). A pod that is not
 * there is an error, except for `delete`, and except when `allowMissing` (it may be starting).
 */
export async function waitForPod(
  roots: Roots,
  name: string,
  w: WaitFor,
  timeoutMs: number,
  o: { until?: (pod: PodObject) => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = await readPod(roots, name);
    const pod = entry?.state ? podObject(entry.state, entry.condition) : undefined;
    if (satisfied(w, pod)) return;
    if (!entry && w.kind !== 'delete') throw new Error(`pod "${name}" not found`);
    const hopeless = pod && o.until?.(pod);
    if (hopeless) throw new Error(hopeless);
    if (Date.now() >= deadline) throw new WaitTimeoutError(`timed out waiting for the condition on pods/${name}`);
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, deadline - Date.now()))));
  }
}
