/**
 * `tspod image save REF -o FILE [--format oci|docker]`: write an image of the store to an archive
 * (image/save.ts): `docker` (the default, as podman's) is what `docker load` reads, `oci` is an
 * OCI image layout in a tar, byte for byte as pulled.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { saveImage, type SaveFormat } from '../image/save.js';
import { ImageStore } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';

interface SaveArgs extends GlobalArgs {
  ref: string;
  output: string;
  format: SaveFormat;
}

export const imageSaveCommand: CommandModule<GlobalArgs, SaveArgs> = {
  command: 'save <ref>',
  describe: 'write an image to an archive (docker load, or OCI)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('ref', { type: 'string', demandOption: true, describe: 'NAME[:TAG] or NAME@DIGEST' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the archive file to write' })
      .option('format', {
        choices: ['docker', 'oci'] as const,
        default: 'docker' as const,
        describe: 'docker-archive or OCI archive',
      }),
  handler: async (argv: ArgumentsCamelCase<SaveArgs>) => {
    await saveImage(new ImageStore(rootsOf(argv)), argv.ref, argv.output, argv.format);
  },
};
