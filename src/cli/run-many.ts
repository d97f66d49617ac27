/**
 * `tspod run` of files that make more than one pod, or any workload (podman kube play is the
 * model: every pod is started, and their names reported).
 *
 * Each pod runs under a detached supervisor of its own, exactly as `run -d` starts one, and each
 * Job under its controller (src/workloads/). A StatefulSet's pods start in order, each once the
 * one before is Ready (podManagementPolicy OrderedReady, its default), or all at once (Parallel).
 *
 * - `-d`: prints each pod's name as it is started (a Job: the names of its first pods) and returns.
 * - In the foreground: prints the same names, then every pod's output as `[pod/NAME/CONTAINER] line`
 *   (kubectl logs --prefix), a Job's later pods included, and a line when a Job ends. It returns
 *   when every pod has ended and every Job is finished; Ctrl-C (SIGINT/SIGTERM) stops them first.
 *   Then, unless `--keep`, it removes everything it made, as a foreground run removes its pod. Exit
 *   status: 0 when every pod succeeded and every Job completed; 1 when a Job failed; else that of
 *   the first pod (in file order) that failed, as a one-pod run reports it; 130/143 when stopped.
 */
import type { ImageRecord } from '../image/store.js';
import { stopPod } from '../control/stop.js';
import { showLogs } from '../logs/follow.js';
import { chooseNetwork } from '../network/index.js';
import type { Roots } from '../paths.js';
import { readPod } from '../pods/pods.js';
import { waitForPod } from '../pods/wait.js';
import { DetachError, startDetached } from '../supervisor/detach.js';
import { rmPod } from '../teardown/gc.js';
import { describeError } from '../errors.js';
import { JobController } from '../workloads/job-controller.js';
import { JobStartError, startJobDetached, removeJobAndPods } from '../workloads/job-detach.js';
import type { JobOutcome } from '../workloads/job-logic.js';
import type { PodState } from '../state/types.js';
import { ExitError } from './common.js';
import type { JobToRun, PodToRun } from './run-files.js';
import { nth } from '../checked.js';

export interface ManyOptions {
  roots: Roots;
  pods: PodToRun[];
  images: Record<string, ImageRecord>[];
  jobs: JobToRun[];
  jobImages: Record<string, ImageRecord>[];
  network?: string;
  explain: boolean;
  keep: boolean;
}

const say = (line: string) => process.stderr.write(`tspod: ${line}\n`);

/** Start one pod under its supervisor; a StatefulSet's ordered pod is waited for until Ready. */
async function startOne(o: ManyOptions, p: PodToRun, images: Record<string, ImageRecord>): Promise<void> {
  const network = chooseNetwork(o.network, p.pod.metadata.annotations);
  try {
    await startDetached({ roots: o.roots, pod: p.pod, images, config: p.config, network, explain: o.explain });
  } catch (err) {
    if (err instanceof DetachError) throw new ExitError(err.message, err.status);
    throw err;
  }
  process.stdout.write(`${p.pod.metadata.name}\n`);
  const sts = p.workload?.statefulSet;
  if (sts && !sts.parallel) {
    // OrderedReady: the StatefulSet controller makes pod N+1 once pod N is Running and Ready.
    const ended = (x: { status: { phase: string } }) =>
      ['Succeeded', 'Failed'].includes(x.status.phase)
        ? `pod "${p.pod.metadata.name}" ended before it was Ready: the StatefulSet stops there`
        : undefined;
    await waitForPod(o.roots, p.pod.metadata.name, { kind: 'condition', type: 'Ready', status: 'True' }, Infinity, {
      until: ended,
    }).catch((err: unknown) => {
      throw new ExitError((err as Error).message, 125);
    });
  }
}

/** `run -d`: every pod, then every Job's first pods; names on stdout. */
export async function runManyDetached(o: ManyOptions): Promise<void> {
  for (const [i, p] of o.pods.entries()) await startOne(o, p, nth(o.images, i));
  for (const [i, j] of o.jobs.entries()) {
    const network = chooseNetwork(o.network, j.sample.metadata.annotations);
    try {
      const pods = await startJobDetached({
        roots: o.roots,
        workload: j.workload,
        images: nth(o.jobImages, i),
        config: j.config,
        network,
      });
      for (const name of pods) process.stdout.write(`${name}\n`);
    } catch (err) {
      if (err instanceof JobStartError) throw new ExitError(err.message, 125);
      throw err;
    }
  }
}

/** The status a one-pod foreground run would end with: the first failed app container's. */
function podStatus(state: PodState | undefined): number {
  if (!state || state.status.phase === 'Succeeded') return 0;
  for (const c of state.status.containerStatuses) {
    const t = 'terminated' in c.state ? c.state.terminated : undefined;
    if (t && t.exitCode !== 0) return t.signal ? 128 + t.signal : t.exitCode;
  }
  return state.status.phase === 'Failed' ? 1 : 0;
}

/** The foreground: start everything, show every pod's output, wait, clean up. */
export async function runManyForeground(o: ManyOptions): Promise<number> {
  let stopSignal: number | undefined;
  const controllers: JobController[] = [];
  const started: string[] = [];
  const follows: Promise<void>[] = [];
  const follow = (name: string) => {
    started.push(name);
    follows.push(
      showLogs(o.roots, name, {
        follow: true,
        previous: false,
        timestamps: false,
        allContainers: true,
        prefix: true,
        write: (b) => process.stdout.write(b),
      }).catch((err: unknown) => void say(`following pod "${name}": ${describeError(err)}`)),
    );
  };
  const stopAll = async () => {
    for (const c of controllers) c.stop();
    await Promise.all(started.map((n) => stopPod(o.roots, n).catch(() => undefined)));
  };
  const onSignal = (sig: NodeJS.Signals) => {
    stopSignal ??= sig === 'SIGINT' ? 130 : 143;
    void stopAll();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const outcomes: (JobOutcome | undefined)[] = [];
  try {
    for (const [i, p] of o.pods.entries()) {
      if (stopSignal !== undefined) break;
      await startOne(o, p, nth(o.images, i));
      follow(p.pod.metadata.name);
    }
    const runs = o.jobs.map((j, i) => {
      const c = new JobController({
        roots: o.roots,
        workload: j.workload,
        images: nth(o.jobImages, i),
        config: j.config,
        network: chooseNetwork(o.network, j.sample.metadata.annotations),
        log: (l) => say(l),
        onPod: (name) => {
          process.stdout.write(`${name}\n`);
          follow(name);
        },
      });
      controllers.push(c);
      return stopSignal === undefined ? c.run() : Promise.resolve(undefined);
    });
    outcomes.push(...(await Promise.all(runs)));
    // The pods end by themselves (or by Ctrl-C): following each ends with its containers.
    await Promise.all(follows);
    await waitEnded(o.roots, started, () => stopSignal !== undefined);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  const states = await Promise.all(
    started.map((n) =>
      readPod(o.roots, n).then(
        (p) => p?.state,
        () => undefined,
      ),
    ),
  );
  const status =
    stopSignal ?? (outcomes.some((x) => x?.type === 'Failed') ? 1 : (states.map(podStatus).find((s) => s !== 0) ?? 0));
  if (!o.keep) await cleanUp(o, started);
  return status;
}

/** Until no pod is supervised any more (their supervisors exit once the pods are torn down). */
async function waitEnded(roots: Roots, names: string[], stopping: () => boolean): Promise<void> {
  for (;;) {
    const pods = await Promise.all(names.map((n) => readPod(roots, n).catch(() => undefined)));
    if (pods.every((p) => !p || p.condition !== 'running')) return;
    await new Promise((r) => setTimeout(r, stopping() ? 100 : 500));
  }
}

async function cleanUp(o: ManyOptions, started: string[]): Promise<void> {
  const warn = (l: string) => say(`warning: ${l}`);
  for (const j of o.jobs)
    await removeJobAndPods(o.roots, j.workload.metadata.name, warn).catch((err) => warn(describeError(err)));
  for (const n of started) {
    if (await readPod(o.roots, n).catch(() => undefined))
      await rmPod(o.roots, n, true, { warn }).catch((err) => warn(describeError(err)));
  }
}
