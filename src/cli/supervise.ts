/**
 * `tspod __supervise` (hidden): the one supervisor of the run root's detached pods, which the first
 * `tspod run -d` starts (supervisor/host-client.ts). Not for people: pods come over its socket.
 */
import type { CommandModule } from 'yargs';
import { superviseHost } from '../supervisor/host-main.js';
import { rootsOf, type GlobalArgs } from './common.js';

export const superviseCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: '__supervise',
  describe: false,
  handler: async (argv) => {
    // Ended here, not by the event loop running dry: a pod's leftover handle must not keep a
    // supervisor that has let go of its socket and lock.
    process.exit(await superviseHost(rootsOf(argv)));
  },
};
