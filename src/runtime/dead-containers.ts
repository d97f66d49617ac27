/**
 * Collecting dead container instances, as the kubelet's container GC does (kuberuntime_gc.go:
 * dead containers are evicted per pod and container name beyond MaxPerPodContainer, whose default
 * is 1, oldest first). A restart starts a new instance with its own directory (termination log,
 * the overlay's mount point) and log files; without collection, a crash-looping container keeps
 * every one of them. Here, when instance N of a container starts, every instance before N-1 is
 * removed: what is left is the current instance and the last terminated one, whose log, termination
 * message and status are what `logs --previous` and the container's lastState show.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PodLayout } from '../layout.js';
import type { Host } from './host.js';

/** Instance numbers found in `dir` as entries named by `pattern`'s first group. */
function instancesIn(dir: string, pattern: RegExp): Map<number, string[]> {
  const found = new Map<number, string[]>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return found;
  }
  for (const n of names) {
    const m = pattern.exec(n);
    if (m) found.set(Number(m[1]), [...(found.get(Number(m[1])) ?? []), path.join(dir, n)]);
  }
  return found;
}

/** Remove the directories and logs (rotated files included) of `container`'s instances before `starting - 1`. */
export async function collectDeadInstances(
  host: Host,
  layout: PodLayout,
  container: string,
  starting: number,
): Promise<number[]> {
  const keepFrom = starting - 1;
  const dirs = instancesIn(path.dirname(layout.instance(container, 0).dir), /^(\d+)$/);
  // `<n>.log` and its rotated files `<n>.log.<stamp>`
  const logs = instancesIn(path.dirname(layout.log(container, 0)), /^(\d+)\.log(?:\.\d{8}-\d{6}\.\d{9})?$/);
  const removed = [...new Set([...dirs.keys(), ...logs.keys()])].filter((n) => n < keepFrom).sort((a, b) => a - b);
  for (const n of removed) {
    // The log last: a crash in between leaves an instance that the next start collects again.
    for (const p of dirs.get(n) ?? []) await host.remove(p);
    for (const p of logs.get(n) ?? []) await host.remove(p);
  }
  return removed;
}
