/**
 * `tspod stop POD [-t SECONDS]`: stop a pod gracefully (preStop hooks, stop signal, grace period,
 * SIGKILL). Its supervisor does the work; this waits until the pod has stopped.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { stopPod } from '../control/stop.js';
import { checkPodName, rootsOf, type GlobalArgs } from './common.js';

interface StopArgs extends GlobalArgs {
  pod: string;
  time?: number;
}

export const stopCommand: CommandModule<GlobalArgs, StopArgs> = {
  command: 'stop <pod>',
  describe: 'Stop a running pod gracefully',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pod', { type: 'string', demandOption: true, describe: 'pod name' })
      .option('time', { alias: 't', type: 'number', describe: 'grace period in seconds before SIGKILL', defaultDescription: 'terminationGracePeriodSeconds' })
      .check((a) => {
        if (a.time !== undefined && (!Number.isInteger(a.time) || a.time < 0)) throw new Error('-t: the grace period is a whole number of seconds');
        return true;
      }),
  handler: async (argv: ArgumentsCamelCase<StopArgs>) => {
    checkPodName(argv.pod);
    await stopPod(rootsOf(argv), argv.pod, argv.time);
    process.stdout.write(`${argv.pod}\n`);
  },
};
