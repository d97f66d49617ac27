/**
 * `tspod image prune`: remove what no image needs any more — blobs (layers, configs, manifests)
 * that no image in the store lists, and what interrupted imports and pulls left in the store's
 * tmp/ — and print how many blobs went. Images themselves are removed with `tspod image rm`.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

export const imagePruneCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'prune',
  describe: 'remove blobs and leftovers no image uses',
  builder: (y: Argv<GlobalArgs>) => y,
  handler: (argv: ArgumentsCamelCase<GlobalArgs>) => {
    const { blobs } = new ImageStore(rootsOf(argv)).prune();
    process.stdout.write(`removed ${blobs} unused blob${blobs === 1 ? '' : 's'}\n`);
  },
};
