/**
 * `tspod rm POD... [-f]` · `tspod rm --all [-f]`: remove stopped pods and everything they own
 * (state, volumes, layers, logs, leases). `-f` stops a running pod first (at once: no grace
 * period), or cleans up after an orphaned one. A pod that cannot be removed is reported and the
 * others are still removed (each.ts); the exit status is then 125.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { rmPod } from '../teardown/gc.js';
import { rootsOf, type GlobalArgs } from './common.js';
import { forEachPod, podsToDo, type EachArgs } from './each.js';

interface RmArgs extends GlobalArgs, EachArgs {
  force: boolean;
}

export const rmCommand: CommandModule<GlobalArgs, RmArgs> = {
  command: 'rm [pods..]',
  describe: 'Remove pods',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pods', { type: 'string', array: true, describe: 'pod names' })
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'every pod (running ones need -f)' })
      .option('force', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'stop a running pod first; clean up after an orphaned one',
      })
      .example('$0 rm web', 'remove the stopped pod "web"')
      .example('$0 rm -f web db', 'stop them at once if they run, and remove them')
      .example('$0 rm --all', 'remove every pod that is not running')
      .epilogue('Exit status: 0 when every pod was removed; 125 when any could not be (the others are removed).'),
  handler: async (argv: ArgumentsCamelCase<RmArgs>) => {
    const roots = rootsOf(argv);
    const warn = (line: string) => process.stderr.write(`tspod: warning: ${line}\n`);
    const names = await podsToDo(roots, argv, 'rm', () => true);
    await forEachPod(names, (name) => rmPod(roots, name, argv.force, { warn }));
  },
};
