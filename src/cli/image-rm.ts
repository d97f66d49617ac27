/**
 * `tspod image rm NAME`: remove a tag, and the image once no tag is left. Refused while a pod
 * (running, or kept for inspection) uses the image: remove the pod first.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { normalizeRef } from '../image/ref.js';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

interface RmArgs extends GlobalArgs {
  name: string;
}

export const imageRmCommand: CommandModule<GlobalArgs, RmArgs> = {
  command: 'rm <name>',
  describe: 'remove an image (refused while a pod uses it)',
  builder: (y: Argv<GlobalArgs>) => y.positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG]' }),
  handler: async (argv: ArgumentsCamelCase<RmArgs>) => {
    await new ImageStore(rootsOf(argv)).remove(argv.name);
    process.stdout.write(`Untagged: ${normalizeRef(argv.name)}\n`);
  },
};
