/**
 * What a run of files would collide with, and taking it away again (`tspod down FILE...`,
 * `tspod run --replace`), as `podman kube down` and `kube play --replace` do.
 *
 * A file's objects are found on the node by what they are: a Pod by its name; a Deployment,
 * ReplicaSet, StatefulSet or DaemonSet by the pods it owns (owners.ts), plus, for a StatefulSet,
 * any pod that has one of the fixed names it would make; a Job by its record and its pods. Removing
 * a Job stops its controller first, so that it makes no new pod while its pods go.
 */
import type { Workload } from '../manifest/index.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { claimDir, type Roots } from '../paths.js';
import { readPod } from '../pods/pods.js';
import { isAlive } from '../state/store.js';
import { rmPod } from '../teardown/gc.js';
import { describeError } from '../errors.js';
import { jobExists, readJob, removeJob } from './job-record.js';
import { describeOwner, podsOwnedBy, type Owner } from './owners.js';

export interface InUse {
  /** `pod "web"`, `Deployment "web"`, `Job "pi"` */
  what: string;
  pods: string[];
  /** a Job: its record exists (and its controller may run) */
  job?: string;
  /** a StatefulSet whose claims go with it (whenDeleted: Delete): the named volumes */
  claims?: string[];
}

const ownerOfWorkload = (w: Workload): Owner => ({
  kind: w.kind,
  name: w.metadata.name,
  namespace: w.metadata.namespace,
});

/** The names a StatefulSet's pods would have. */
function fixedNames(w: Workload): string[] {
  if (w.kind !== 'StatefulSet') return [];
  return Array.from({ length: w.replicas }, (_, i) => `${w.metadata.name}-${w.statefulSet!.start + i}`);
}

async function exists(roots: Roots, name: string): Promise<boolean> {
  return (await readPod(roots, name)) !== undefined;
}

/** What the Pods (by name) and workloads of the files already have on this node. */
export async function findInUse(roots: Roots, podNames: string[], workloads: Workload[]): Promise<InUse[]> {
  const out: InUse[] = [];
  for (const name of podNames) if (await exists(roots, name)) out.push({ what: `pod "${name}"`, pods: [name] });
  for (const w of workloads) {
    const pods = new Set(await podsOwnedBy(roots, ownerOfWorkload(w)));
    for (const n of fixedNames(w)) if (await exists(roots, n)) pods.add(n);
    const job = w.kind === 'Job' && (await jobExists(roots, w.metadata.name)) ? w.metadata.name : undefined;
    if (job)
      for (const p of (await readJob(roots, job).catch(() => undefined))?.pods ?? [])
        if (await exists(roots, p)) pods.add(p);
    const claims = w.statefulSet?.deleteClaims
      ? w.statefulSet.claims.flatMap((c) => fixedNames(w).map((p) => `${c}-${p}`))
      : [];
    if (pods.size > 0 || job)
      out.push({
        what: describeOwner(ownerOfWorkload(w)),
        pods: [...pods].sort(),
        ...(job ? { job } : {}),
        ...(claims.length ? { claims } : {}),
      });
  }
  return out;
}

/** One line naming everything in use. */
export function describeInUse(found: InUse[]): string {
  return found
    .map((f) => (f.pods.length ? `${f.what}: ${f.pods.map((p) => `"${p}"`).join(', ')}` : `${f.what} (its record)`))
    .join('; ');
}

/** Stop a Job's controller (SIGTERM: it stops its running pods) and wait until it has exited. */
async function stopController(roots: Roots, name: string, warn: (line: string) => void): Promise<void> {
  const rec = await readJob(roots, name).catch(() => undefined);
  if (!rec || !isAlive(rec.controller)) return;
  try {
    process.kill(rec.controller.pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  const until = Date.now() + 60_000;
  while (isAlive(rec.controller)) {
    if (Date.now() > until) {
      warn(
        `the controller of job "${name}" (pid ${rec.controller.pid}) has not exited after 60 s; removing its pods anyway`,
      );
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Remove everything `found` names: each Job's controller stopped first, then every pod (stopped at
 * once if it runs, as `rm -f`), then the Jobs' records. Returns the pods removed, in order.
 */
export async function removeInUse(roots: Roots, found: InUse[], warn: (line: string) => void): Promise<string[]> {
  for (const f of found) if (f.job) await stopController(roots, f.job, warn);
  const removed: string[] = [];
  const failures: string[] = [];
  for (const f of found) {
    for (const pod of f.pods) {
      try {
        await rmPod(roots, pod, true, { warn });
        removed.push(pod);
      } catch (err) {
        if (await exists(roots, pod)) failures.push(`pod "${pod}": ${describeError(err)}`);
      }
    }
    if (f.job) await removeJob(roots, f.job);
    // After the pods: a claim's volume is in use until they are gone.
    for (const c of f.claims ?? []) await fs.rm(path.dirname(claimDir(roots, c)), { recursive: true, force: true });
  }
  if (failures.length > 0) throw new Error(`could not remove ${failures.join('; ')}`);
  return removed;
}
