/**
 * `tspod ps [-a] [--json]`: the pods on this host (CLI.md). Running ones by default, and orphaned
 * ones (their supervisor is gone; they hold resources until `tspod gc`); `-a` adds the pods that
 * ended and are kept. `--json` prints the same Pod objects as `inspect`.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { listPods } from '../pods/pods.js';
import { formatPsTable, podObject, psRow } from '../pods/view.js';
import type { PodState } from '../state/types.js';
import { rootsOf, type GlobalArgs } from './common.js';

interface PsArgs extends GlobalArgs {
  all: boolean;
  json: boolean;
}

export const psCommand: CommandModule<GlobalArgs, PsArgs> = {
  command: 'ps',
  describe: 'List pods',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'also the pods that ended and are kept' })
      .option('json', { type: 'boolean', default: false, describe: 'print Pod objects (as inspect does)' })
      .example('$0 ps -a', 'also the pods that ended'),
  handler: async (argv: ArgumentsCamelCase<PsArgs>) => {
    const pods = (await listPods(rootsOf(argv))).filter((p) => p.state && (argv.all || p.condition !== 'terminated'));
    if (argv.json) {
      process.stdout.write(JSON.stringify(pods.map((p) => podObject(p.state as PodState, p.condition)), null, 2) + '\n');
      return;
    }
    const now = new Date();
    process.stdout.write(formatPsTable(pods.map((p) => psRow(p.state as PodState, p.condition, now))));
  },
};
