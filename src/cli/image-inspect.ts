/**
 * `tspod image inspect NAME`: the image as JSON: its store record (ID, root filesystem path,
 * the config fields tspod uses), where it came from, and the whole OCI image config.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

interface InspectArgs extends GlobalArgs {
  name: string;
}

export const imageInspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <name>',
  describe: 'show an image as JSON',
  builder: (y: Argv<GlobalArgs>) =>
    y.positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG]' }),
  handler: async (argv: ArgumentsCamelCase<InspectArgs>) => {
    const details = await new ImageStore(rootsOf(argv)).inspect(argv.name);
    process.stdout.write(JSON.stringify(details, null, 2) + '\n');
  },
};
