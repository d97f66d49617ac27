/**
 * `tspod image ...`: the local image store (CLI.md). Images are referred to in manifests by
 * `image: NAME[:TAG]`; these commands list, import, show and remove them.
 */
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from './common.js';
import { imageImportCommand } from './image-import.js';
import { imageInspectCommand } from './image-inspect.js';
import { imageLsCommand } from './image-ls.js';
import { imageRmCommand } from './image-rm.js';

export const imageCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'image',
  describe: 'list, import, inspect and remove images',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(imageLsCommand)
      .command(imageImportCommand)
      .command(imageInspectCommand)
      .command(imageRmCommand)
      .demandCommand(1, 'image: a subcommand is required: ls, import, inspect or rm'),
  handler: () => undefined,
};
