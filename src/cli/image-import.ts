/**
 * `tspod image import NAME[:TAG] FILE`: add an image to the store from a root filesystem tarball,
 * an OCI archive or layout directory, or a `docker save` archive. Prints the image ID, as
 * `docker import` does. `--unpack-limit` bounds what it may unpack (unpack-limit.ts).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

interface ImportArgs extends GlobalArgs {
  name: string;
  file: string;
  unpackLimit?: string;
}

export const imageImportCommand: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <name> <file>',
  describe: 'import an image: rootfs tarball, OCI archive or layout directory, docker save archive',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG] to store it as (tag: latest)' })
      .positional('file', { type: 'string', demandOption: true, describe: 'archive file, or OCI layout directory' })
      .option('unpack-limit', {
        type: 'string',
        describe: 'refuse an image that unpacks to more than this (bytes, or 500M, 2G)',
        defaultDescription: 'free space of the store less a reserve',
      }),
  handler: async (argv: ArgumentsCamelCase<ImportArgs>) => {
    const image = await new ImageStore(rootsOf(argv)).import(argv.name, argv.file, { unpackLimit: argv.unpackLimit });
    process.stdout.write(`${image.id}\n`);
  },
};
