/**
 * A Job under a detached controller (`tspod run -d job.yaml`), as a pod under a detached
 * supervisor (supervisor/detach.ts): the command starts `tspod __job` in a session of its own,
 * hands it the validated Job on stdin, and waits on fd 3 for one line, `{"ok":true,"pods":[...]}`
 * once the first pods are started or `{"ok":false,...}`. The controller then runs the Job to its
 * end; with `ttlSecondsAfterFinished` it waits that long and removes the Job and its pods, as the
 * TTL-after-finished controller deletes a finished Job (with its pods, in the background). Its
 * messages go to `<run-root>/jobs/<name>/controller.log`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageRecord } from '../image/store.js';
import type { ConfigObjects, Workload } from '../manifest/index.js';
import { PACKAGE_DIR, type Roots } from '../paths.js';
import { describeError } from '../errors.js';
import { rmPod } from '../teardown/gc.js';
import { JobController } from './job-controller.js';
import { jobLog, readJob, removeJob } from './job-record.js';

export interface JobInput {
  roots: Roots;
  workload: Workload;
  images: Record<string, ImageRecord>;
  config?: ConfigObjects;
  network: string;
}

type Ready = { ok: true; pods: string[] } | { ok: false; error: string };
const READY_FD = 3;
const CLI_ENTRY = path.join(PACKAGE_DIR, 'bin', 'tspod');

export class JobStartError extends Error {}

/** Start the detached controller; resolves with the names of the first pods. */
export async function startJobDetached(input: JobInput): Promise<string[]> {
  const child = spawn(process.execPath, [...process.execArgv, CLI_ENTRY, '__job'], {
    detached: true,
    cwd: '/',
    stdio: ['pipe', 'ignore', 'ignore', 'pipe'],
  });
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(JSON.stringify(input));
  const stream = child.stdio[READY_FD] as Readable;
  try {
    const msg = await new Promise<Ready | undefined>((resolve) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => {
        buf += c;
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as Ready);
      });
      stream.on('close', () => resolve(undefined));
      stream.on('error', () => resolve(undefined));
    });
    if (!msg)
      throw new JobStartError(
        `the controller of job "${input.workload.metadata.name}" exited before its pods started; see ${jobLog(input.roots, input.workload.metadata.name)}`,
      );
    if (!msg.ok) throw new JobStartError(msg.error);
    return msg.pods;
  } finally {
    stream.destroy();
    child.unref();
  }
}

function logger(file: string): (line: string) => void {
  return (line) => {
    try {
      fs.appendFileSync(file, `${new Date().toISOString()} ${line}\n`, { mode: 0o640 });
    } catch {
      // nowhere left to say it
    }
  };
}

function ready(msg: Ready): void {
  try {
    fs.writeSync(READY_FD, JSON.stringify(msg) + '\n');
    fs.closeSync(READY_FD);
  } catch {
    // the command is gone: the Job runs on regardless
  }
}

/** Remove a Job's pods and its record (the TTL controller, `tspod down`). */
export async function removeJobAndPods(roots: Roots, name: string, warn: (line: string) => void): Promise<string[]> {
  const rec = await readJob(roots, name);
  const removed: string[] = [];
  for (const pod of rec?.pods ?? []) {
    try {
      await rmPod(roots, pod, true, { warn });
      removed.push(pod);
    } catch (err) {
      if (!/not found/.test((err as Error).message)) warn(describeError(err));
    }
  }
  await removeJob(roots, name);
  return removed;
}

/** The `__job` process: read the Job, run it, report the first pods on fd 3, honour the TTL. */
export async function superviseJob(text: string): Promise<number> {
  const input = JSON.parse(text) as JobInput;
  const name = input.workload.metadata.name;
  let log: (line: string) => void = () => undefined;
  let sent = false;
  const controller = new JobController({
    ...input,
    log: (l) => log(l),
    onClaimed: () => (log = logger(jobLog(input.roots, name))),
    onStarted: (pods) => {
      sent = true;
      ready({ ok: true, pods });
    },
  });
  const onSignal = () => controller.stop();
  process
    .on('SIGTERM', onSignal)
    .on('SIGINT', onSignal)
    .on('SIGHUP', () => undefined);
  try {
    const outcome = await controller.run();
    if (!sent)
      ready({
        ok: false,
        error: outcome ? `job "${name}" ${outcome.reason}: ${outcome.message}` : `job "${name}" was stopped`,
      });
    const ttl = input.workload.job!.ttlSecondsAfterFinished;
    if (outcome && ttl !== undefined) {
      log(`removing the job and its pods in ${ttl} s (ttlSecondsAfterFinished)`);
      await new Promise((r) => setTimeout(r, ttl * 1000));
      // (A `tspod down` meanwhile already removed them: then there is nothing left to do.)
      if ((await readJob(input.roots, name))?.uid === controller.uid) await removeJobAndPods(input.roots, name, log);
    }
    return outcome?.type === 'Complete' ? 0 : 1;
  } catch (err) {
    log(`job "${name}": ${describeError(err)}`);
    if (!sent) ready({ ok: false, error: describeError(err) });
    return 125;
  }
}
