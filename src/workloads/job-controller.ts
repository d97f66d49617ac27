/**
 * tspod's Job controller: makes a Job's pods, one decision at a time (job-logic.ts), until the Job
 * is Complete or Failed.
 *
 * Each pod is an ordinary detached pod (`run -d`: its own supervisor, its logs, `tspod ps`,
 * `logs`, `exec`), named and labelled by the Job (workload-pods.ts). The controller watches them
 * through their state files, as the Job controller watches pods through the API server: a pod's
 * phase says whether it succeeded or failed, its containers' restart counts what an OnFailure
 * pod has been through. A pod that could not start (refused by admission, say) counts as failed, as
 * would a pod that was removed before it finished. The controller itself runs in the foreground
 * `tspod run`, or detached (`__job`, job-detach.ts), and records the Job (job-record.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ImageRecord } from '../image/store.js';
import { jobPod, validatePod, type ConfigObjects, type JobSpec, type Workload } from '../manifest/index.js';
import type { Roots } from '../paths.js';
import { describeError } from '../errors.js';
import { readState, processRef } from '../state/store.js';
import type { PodState } from '../state/types.js';
import { startDetached } from '../supervisor/detach.js';
import { stopPod } from '../control/stop.js';
import { counts, decide, type JobOutcome, type JobPod, type JobProgress } from './job-logic.js';
import { claimJob, writeJob, type JobRecord } from './job-record.js';

export interface JobRunOptions {
  roots: Roots;
  workload: Workload;
  /** the images of the template's containers, by container name */
  images: Record<string, ImageRecord>;
  config?: ConfigObjects;
  network: string;
  /** a line about what the controller did (a pod made, one that ended, the outcome) */
  log: (line: string) => void;
  /** a pod was made and started */
  onPod?: (name: string) => void;
  /** the Job's name is claimed: its directory exists */
  onClaimed?: () => void;
  /** the first pods are started (run -d returns then) */
  onStarted?: (pods: string[]) => void;
  pollMs?: number;
}

const phaseOf = (s: PodState | undefined): JobPod['phase'] =>
  s ? (s.status.phase === 'Unknown' ? 'Failed' : s.status.phase) : 'Failed';
const restartsOf = (s: PodState | undefined) =>
  s ? [...s.status.initContainerStatuses, ...s.status.containerStatuses].reduce((n, c) => n + c.restartCount, 0) : 0;

export class JobController {
  private stopping = false;
  private wake?: () => void;
  private readonly pods: JobPod[] = [];
  /** pods that never started: they stay Failed whatever a state file says */
  private readonly neverStarted = new Set<string>();
  readonly uid: string;
  private rec!: JobRecord;

  constructor(private readonly o: JobRunOptions) {
    this.uid = o.workload.metadata.uid ?? randomUUID();
  }

  get spec(): JobSpec {
    return this.o.workload.job!;
  }

  get podNames(): string[] {
    return this.pods.map((p) => p.name);
  }

  /** Stop making pods and stop the running ones; run() then resolves with no outcome. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Run the Job to its end; undefined when it was stopped first. */
  async run(): Promise<JobOutcome | undefined> {
    const { roots, workload } = this.o;
    await claimJob(roots, workload.metadata.name);
    this.o.onClaimed?.();
    const startedAt = Date.now();
    this.rec = {
      version: 1,
      name: workload.metadata.name,
      uid: this.uid,
      workload,
      controller: processRef(process.pid),
      startTime: new Date(startedAt).toISOString(),
      pods: [],
      status: { active: 0, succeeded: 0, failed: 0 },
    };
    await writeJob(roots, this.rec);
    const restartPolicy = workload.template.spec.restartPolicy as 'Never' | 'OnFailure';
    let announced = false;
    while (!this.stopping) {
      await this.observe();
      const progress: JobProgress = { startedAt, pods: this.pods, restartPolicy };
      const d = decide(this.spec, progress, Date.now());
      if (d.action === 'finish') return this.finish(d.outcome, d.stop);
      if (d.action === 'create') {
        for (let i = 0; i < d.count && !this.stopping; i++) await this.startPod();
      }
      if (!announced) {
        announced = true;
        this.o.onStarted?.(this.podNames);
      }
      await this.save();
      const wait =
        d.action === 'wait' && d.untilMs
          ? Math.max(0, Math.min(this.o.pollMs ?? 500, d.untilMs - Date.now()))
          : (this.o.pollMs ?? 500);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, wait);
      });
    }
    await this.stopPods(this.activeNames());
    await this.observe();
    await this.save();
    return undefined;
  }

  private activeNames(): string[] {
    return this.pods.filter((p) => p.phase === 'Pending' || p.phase === 'Running').map((p) => p.name);
  }

  private async observe(): Promise<void> {
    for (const p of this.pods) {
      if (p.phase === 'Succeeded' || p.phase === 'Failed') continue;
      const s = this.neverStarted.has(p.name)
        ? undefined
        : await readState(this.o.roots, p.name).catch(() => undefined);
      p.phase = phaseOf(s);
      p.restarts = restartsOf(s);
      if (p.phase === 'Failed') {
        p.failedAt = Date.now();
        this.o.log(`pod "${p.name}" failed${s?.status.reason ? ` (${s.status.reason})` : ''}`);
      } else if (p.phase === 'Succeeded') this.o.log(`pod "${p.name}" succeeded`);
    }
  }

  private async startPod(): Promise<void> {
    const { pod } = validatePod(jobPod(this.o.workload, { uid: this.uid }));
    const name = pod.metadata.name;
    this.pods.push({ name, phase: 'Pending', restarts: 0 });
    this.rec.pods.push(name);
    await this.save();
    try {
      await startDetached({
        roots: this.o.roots,
        pod,
        images: this.o.images,
        config: this.o.config,
        network: this.o.network,
        explain: false,
      });
      this.o.log(`pod "${name}" started`);
      this.o.onPod?.(name);
    } catch (err) {
      // A pod whose command cannot run did start (and failed); one refused never existed.
      if (!(await readState(this.o.roots, name).catch(() => undefined))) this.neverStarted.add(name);
      this.o.log(`pod "${name}" could not start: ${describeError(err)}`);
    }
  }

  private async stopPods(names: string[]): Promise<void> {
    await Promise.all(
      names.map((n) =>
        stopPod(this.o.roots, n).catch((err) => this.o.log(`stopping pod "${n}": ${describeError(err)}`)),
      ),
    );
  }

  private async finish(outcome: JobOutcome, stop: string[]): Promise<JobOutcome> {
    await this.stopPods(stop);
    await this.observe();
    this.rec.status.outcome = outcome;
    this.rec.status.completionTime = new Date().toISOString();
    await this.save();
    this.o.log(
      `job "${this.o.workload.metadata.name}" ${outcome.type === 'Complete' ? 'completed' : 'failed'}: ${outcome.reason}: ${outcome.message}`,
    );
    return outcome;
  }

  private async save(): Promise<void> {
    Object.assign(this.rec.status, counts({ startedAt: 0, pods: this.pods, restartPolicy: 'Never' }));
    await writeJob(this.o.roots, this.rec).catch((err) => this.o.log(`saving the job's record: ${describeError(err)}`));
  }
}
