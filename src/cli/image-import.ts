/**
 * `tspod image import NAME[:TAG] FILE`: add an image to the store from a root filesystem tarball,
 * an OCI archive or layout directory, or a `docker save` archive. Prints the image ID, as
 * `docker import` does.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

interface ImportArgs extends GlobalArgs {
  name: string;
  file: string;
}

export const imageImportCommand: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <name> <file>',
  describe: 'import an image: rootfs tarball, OCI archive or layout directory, docker save archive',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG] to store it as (tag: latest)' })
      .positional('file', { type: 'string', demandOption: true, describe: 'archive file, or OCI layout directory' }),
  handler: async (argv: ArgumentsCamelCase<ImportArgs>) => {
    const image = await new ImageStore(rootsOf(argv)).import(argv.name, argv.file);
    process.stdout.write(`${image.id}\n`);
  },
};
