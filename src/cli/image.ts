/**
 * `tspod image ...`: the local image store (CLI.md). Images are referred to in manifests by
 * `image: [REGISTRY/]NAME[:TAG][@DIGEST]`; these commands pull, list, import, tag, show and remove
 * them, and prune what no image uses.
 */
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from './common.js';
import { imageImportCommand } from './image-import.js';
import { imageInspectCommand } from './image-inspect.js';
import { imageLsCommand } from './image-ls.js';
import { imagePruneCommand } from './image-prune.js';
import { imagePullCommand } from './image-pull.js';
import { imageRmCommand } from './image-rm.js';
import { imageSaveCommand } from './image-save.js';
import { imageTagCommand } from './image-tag.js';

/** The subcommands, in the order the help lists them (main.ts reads their usage lines). */
export const imageSubcommands = [
  imageLsCommand,
  imageImportCommand,
  imageInspectCommand,
  imageRmCommand,
  imagePullCommand,
  imageTagCommand,
  imagePruneCommand,
  imageSaveCommand,
];

export const imageCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'image',
  describe: 'list, pull, import, tag, inspect and remove images',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(imageLsCommand)
      .command(imageImportCommand)
      .command(imageInspectCommand)
      .command(imageRmCommand)
      .command(imagePullCommand)
      .command(imageTagCommand)
      .command(imagePruneCommand)
      .command(imageSaveCommand)
      .demandCommand(1, 'image: a subcommand is required: ls, import, inspect, rm, pull, tag, save or prune'),
  handler: () => undefined,
};
