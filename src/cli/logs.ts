/**
 * `tspod logs POD [-c NAME] [-f] [--previous] [--timestamps]`: a container's output, from its CRI
 * log files, as `kubectl logs` prints it. Without `-c`: the app container, or all of them (each line
 * prefixed `[NAME] `) when the pod has several; an init container's output needs `-c`.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { showLogs } from '../logs/follow.js';
import { checkPodName, rootsOf, type GlobalArgs } from './common.js';

interface LogsArgs extends GlobalArgs {
  pod: string;
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
}

export const logsCommand: CommandModule<GlobalArgs, LogsArgs> = {
  command: 'logs <pod>',
  describe: 'Print the output of a pod\'s containers',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pod', { type: 'string', demandOption: true, describe: 'pod name' })
      .option('container', { alias: 'c', type: 'string', describe: 'the container (default: every app container)' })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the container ends' })
      .option('previous', { alias: 'p', type: 'boolean', default: false, describe: 'the previous instance of a restarted container' })
      .option('timestamps', { type: 'boolean', default: false, describe: 'print each line\'s time (RFC 3339)' })
      .example('$0 logs -f web', 'follow the output of the pod "web"'),
  handler: async (argv: ArgumentsCamelCase<LogsArgs>) => {
    checkPodName(argv.pod);
    await showLogs(rootsOf(argv), argv.pod, {
      container: argv.container, follow: argv.follow, previous: argv.previous, timestamps: argv.timestamps,
      write: (bytes) => process.stdout.write(bytes),
    });
  },
};
