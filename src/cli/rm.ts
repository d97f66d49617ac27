/**
 * `tspod rm POD [-f]`: remove a stopped pod and everything it owns (state, volumes, layers, logs,
 * leases). `-f` stops a running pod first (at once: no grace period), or cleans up after an
 * orphaned one.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { rmPod } from '../teardown/gc.js';
import { checkPodNames, rootsOf, type GlobalArgs } from './common.js';

interface RmArgs extends GlobalArgs {
  pods: string[];
  force: boolean;
}

export const rmCommand: CommandModule<GlobalArgs, RmArgs> = {
  command: 'rm <pods..>',
  describe: 'Remove pods',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pods', { type: 'string', array: true, demandOption: true, describe: 'pod names' })
      .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'stop a running pod first; clean up after an orphaned one' }),
  handler: async (argv: ArgumentsCamelCase<RmArgs>) => {
    const warn = (line: string) => process.stderr.write(`tspod: warning: ${line}\n`);
    checkPodNames(argv.pods);
    for (const name of argv.pods) {
      await rmPod(rootsOf(argv), name, argv.force, { warn });
      process.stdout.write(`${name}\n`);
    }
  },
};
