/**
 * `tspod stop POD... [-t SECONDS]` · `tspod stop --all`: stop pods gracefully (preStop hooks, stop
 * signal, grace period, SIGKILL). Their supervisors do the work, all at once; this waits until each
 * has stopped, prints its name, and reports a pod that could not be stopped without giving up on
 * the others (each.ts); the exit status is then 125.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { stopPod } from '../control/stop.js';
import { rootsOf, type GlobalArgs } from './common.js';
import { forEachPod, podsToDo, type EachArgs } from './each.js';

interface StopArgs extends GlobalArgs, EachArgs {
  time?: number;
}

export const stopCommand: CommandModule<GlobalArgs, StopArgs> = {
  command: 'stop [pods..]',
  describe: 'Stop running pods gracefully',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pods', { type: 'string', array: true, describe: 'pod names' })
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'every running pod' })
      .option('time', {
        alias: 't',
        type: 'number',
        describe: 'grace period in seconds before SIGKILL',
        defaultDescription: 'terminationGracePeriodSeconds',
      })
      .check((a) => {
        if (a.time !== undefined && (!Number.isInteger(a.time) || a.time < 0))
          throw new Error('-t: the grace period is a whole number of seconds');
        return true;
      })
      .example('$0 stop web', "preStop hooks, stop signal, then SIGKILL after the pod's grace period")
      .example('$0 stop -t 0 web db', 'two pods, without a grace period')
      .example('$0 stop --all', 'every running pod')
      .epilogue('Exit status: 0 when every pod stopped; 125 when any could not be stopped (the others are).'),
  handler: async (argv: ArgumentsCamelCase<StopArgs>) => {
    const roots = rootsOf(argv);
    const names = await podsToDo(roots, argv, 'stop', (p) => p.condition === 'running');
    await forEachPod(names, (name) => stopPod(roots, name, argv.time), 16);
  },
};
