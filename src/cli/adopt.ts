/**
 * `tspod __adopt POD` (hidden): supervise a pod whose supervisor died (supervisor/adopt-detached.ts).
 * The pod's monitor starts it; an operator may too, detached from the terminal (`setsid`).
 */
import type { CommandModule } from 'yargs';
import { superviseAdopted } from '../supervisor/adopt-detached.js';
import { checkPodName, rootsOf, type GlobalArgs } from './common.js';

export const adoptCommand: CommandModule<GlobalArgs, GlobalArgs & { pod: string }> = {
  command: '__adopt <pod>',
  describe: false,
  builder: (y) => y.positional('pod', { type: 'string', demandOption: true }),
  handler: async (argv) => {
    checkPodName(argv.pod);
    process.exitCode = await superviseAdopted(rootsOf(argv), argv.pod);
  },
};
