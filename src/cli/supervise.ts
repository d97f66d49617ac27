/**
 * `tspod __supervise` (hidden): the detached supervisor that `tspod run -d` starts. Not for people:
 * it reads the validated pod as JSON on stdin and reports readiness on fd 3 (supervisor/detach.ts).
 */
import type { CommandModule } from 'yargs';
import { superviseDetached } from '../supervisor/supervise.js';
import type { GlobalArgs } from './common.js';

export const superviseCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: '__supervise',
  describe: false,
  handler: async () => {
    process.exitCode = await superviseDetached();
  },
};
