/**
 * `tspod image prune`: remove what no image needs any more — blobs (layers, configs, manifests)
 * and unpacked layers that no image in the store lists, and what interrupted imports and pulls
 * left in the store's tmp/ — and print how many blobs and layers went. Images themselves are removed with `tspod image rm`.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

export const imagePruneCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'prune',
  describe: 'remove blobs, layers and leftovers no image uses',
  builder: (y: Argv<GlobalArgs>) => y,
  handler: (argv: ArgumentsCamelCase<GlobalArgs>) => {
    const { blobs, layers } = new ImageStore(rootsOf(argv)).prune();
    const n = (k: number, what: string) => `${k} unused ${what}${k === 1 ? '' : 's'}`;
    process.stdout.write(`removed ${n(blobs, 'blob')} and ${n(layers, 'layer')}\n`);
  },
};
