/**
 * `tspod image rm NAME`: remove a tag, and the image once no tag is left. Refused while a pod
 * (running, or kept for inspection) uses the image: remove the pod first.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

interface RmArgs extends GlobalArgs {
  name: string;
}

export const imageRmCommand: CommandModule<GlobalArgs, RmArgs> = {
  command: 'rm <name>',
  describe: 'remove an image (refused while a pod uses it)',
  builder: (y: Argv<GlobalArgs>) =>
    y.positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG] or NAME@DIGEST' }),
  handler: async (argv: ArgumentsCamelCase<RmArgs>) => {
    const removed = await new ImageStore(rootsOf(argv)).remove(argv.name);
    process.stdout.write(`Untagged: ${removed}\n`);
  },
};
