/**
 * `tspod image tag SOURCE TARGET`: give an image in the store another name, as `docker tag` does.
 * Both references are normalised (`busybox` is `docker.io/library/busybox:latest`); the source may
 * be a tag or a digest, the target must be a tag. The image is not copied: a name points to it.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { ExitError, rootsOf, type GlobalArgs } from './common.js';

interface TagArgs extends GlobalArgs {
  source: string;
  target: string;
}

export const imageTagCommand: CommandModule<GlobalArgs, TagArgs> = {
  command: 'tag <source> <target>',
  describe: 'give an image another name',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('source', {
        type: 'string',
        demandOption: true,
        describe: 'NAME[:TAG] or NAME@DIGEST of an image in the store',
      })
      .positional('target', { type: 'string', demandOption: true, describe: 'the new NAME[:TAG]' }),
  handler: (argv: ArgumentsCamelCase<TagArgs>) => {
    try {
      const image = new ImageStore(rootsOf(argv)).tag(argv.source, argv.target);
      process.stdout.write(`${image.ref}\n`);
    } catch (err) {
      throw new ExitError((err as Error).message, 125);
    }
  },
};
