/**
 * What tspod keeps about a Job while its controller runs and after: `<run-root>/jobs/<name>/job.json`
 * (written atomically), with the Job as read, its uid, the controller process, every pod it made
 * and the Job's status as the API server would show it (active, succeeded, failed, conditions).
 * The directory is claimed with mkdir, so two runs of one Job cannot both control it; `tspod down`
 * stops the controller named here and removes the record with the Job's pods.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Workload } from '../manifest/index.js';
import { childDir, type Roots } from '../paths.js';
import { writeJsonAtomic } from '../state/store.js';
import type { ProcessRef } from '../state/types.js';
import type { JobCounts, JobOutcome } from './job-logic.js';

export interface JobRecord {
  version: 1;
  name: string;
  uid: string;
  workload: Workload;
  /** the process running the controller (the foreground `run`, or the detached `__job`) */
  controller: ProcessRef;
  startTime: string;
  /** every pod made for the Job, oldest first */
  pods: string[];
  status: JobCounts & { outcome?: JobOutcome; completionTime?: string };
}

export const jobsDir = (roots: Roots) => path.join(roots.runRoot, 'jobs');
export const jobDir = (roots: Roots, name: string) => childDir(jobsDir(roots), name, 'job');
const jobFile = (roots: Roots, name: string) => path.join(jobDir(roots, name), 'job.json');
export const jobLog = (roots: Roots, name: string) => path.join(jobDir(roots, name), 'controller.log');

export class JobExistsError extends Error {}

/** Claim the Job's name; fails when a record of it exists. */
export async function claimJob(roots: Roots, name: string): Promise<void> {
  await fsp.mkdir(jobsDir(roots), { recursive: true, mode: 0o700 });
  try {
    await fsp.mkdir(jobDir(roots, name), { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new JobExistsError(`job "${name}" already exists (remove it with "tspod down FILE")`);
  }
}

export async function writeJob(roots: Roots, rec: JobRecord): Promise<void> {
  await writeJsonAtomic(jobFile(roots, rec.name), rec);
}

export async function readJob(roots: Roots, name: string): Promise<JobRecord | undefined> {
  try {
    return JSON.parse(await fsp.readFile(jobFile(roots, name), 'utf8')) as JobRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`reading the record of job "${name}"`, { cause: err });
  }
}

/** Is there a record (or a claimed directory) of this Job? */
export async function jobExists(roots: Roots, name: string): Promise<boolean> {
  return fsp.stat(jobDir(roots, name)).then(
    () => true,
    () => false,
  );
}

export async function removeJob(roots: Roots, name: string): Promise<void> {
  await fsp.rm(jobDir(roots, name), { recursive: true, force: true });
}
