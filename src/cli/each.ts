/**
 * Commands over several pods (`rm`, `stop`): every name is checked first (a bad name refuses the
 * whole command before anything is touched), then each pod is done in turn; a pod that fails is
 * reported on stderr and the others still get done, as `podman rm` and `kubectl delete` carry on.
 * Each pod done is printed on stdout. The exit status is 125 when any failed.
 */
import { listPods, type PodEntry } from '../pods/pods.js';
import type { Roots } from '../paths.js';
import { ExitError, checkPodNames, describeError, permissionProblem } from './common.js';
import { UsageError } from './usage.js';

export interface EachArgs {
  pods?: string[];
  all: boolean;
}

/** The pods named, or with `--all` every pod `which` keeps; a usage error for both or neither. */
export async function podsToDo(
  roots: Roots,
  a: EachArgs,
  verb: string,
  which: (p: PodEntry) => boolean,
): Promise<string[]> {
  const names = (a.pods ?? []).map(String);
  const hint = [
    `Usage: tspod ${verb} POD... [options], or tspod ${verb} --all`,
    `See "tspod ${verb} --help" for help and examples.`,
  ];
  if (a.all && names.length > 0) throw new UsageError('error: give pod names or --all, not both', hint);
  if (!a.all && names.length === 0) throw new UsageError('error: POD is required (or --all)', hint);
  checkPodNames(names);
  return a.all ? (await listPods(roots)).filter(which).map((p) => p.name) : [...new Set(names)];
}

/** Run `job` for each name (at most `parallel` at a time), print each done, report each failure. */
export async function forEachPod(names: string[], job: (name: string) => Promise<void>, parallel = 1): Promise<void> {
  let active = 0;
  const waiting: (() => void)[] = [];
  const limited = async (name: string) => {
    while (active >= parallel) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      await job(name);
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  const results = names.map((n) =>
    limited(n).then(
      () => undefined,
      (err: unknown) => err ?? new Error('failed'),
    ),
  );
  let failed = 0;
  // Reported in the order given, each once it and those before it are done.
  for (const [i, result] of results.entries()) {
    const err = await result;
    if (err === undefined) {
      process.stdout.write(`${names[i]}\n`);
      continue;
    }
    failed++;
    process.stderr.write(`tspod: ${permissionProblem(err) ?? describeError(err)}\n`);
  }
  if (failed > 0) throw new ExitError('', 125);
}
