/**
 * `tspod __job` (hidden): the detached Job controller that `tspod run -d job.yaml` starts. Not for
 * people: it reads the validated Job as JSON on stdin and reports its first pods on fd 3
 * (workloads/job-detach.ts).
 */
import type { CommandModule } from 'yargs';
import { superviseJob } from '../workloads/job-detach.js';
import { readStdin } from '../stdin.js';
import type { GlobalArgs } from './common.js';

export const jobCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: '__job',
  describe: false,
  handler: async () => {
    process.exitCode = await superviseJob(await readStdin());
  },
};
