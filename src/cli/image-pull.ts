/**
 * `tspod image pull REF [--quiet] [--platform OS/ARCH[/VARIANT]]`: fetch an image from its
 * registry into the store (registry/pull.ts), with progress on stderr, and print its normalised
 * reference and ID on stdout. Registries, mirrors and credentials: registry/hosts.ts and
 * registry/credentials.ts.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { parsePlatform } from '../image/config.js';
import { parseRef } from '../image/ref.js';
import { ImageStore } from '../image/store.js';
import { hostCredentialSources } from '../registry/credentials.js';
import { progressFor } from '../registry/progress.js';
import { pullImage } from '../registry/pull.js';
import { ExitError, rootsOf, type GlobalArgs } from './common.js';

interface PullArgs extends GlobalArgs {
  ref: string;
  quiet: boolean;
  platform?: string;
  unpackLimit?: string;
}

export const imagePullCommand: CommandModule<GlobalArgs, PullArgs> = {
  command: 'pull <ref>',
  describe: 'pull an image from a registry',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('ref', {
        type: 'string',
        demandOption: true,
        describe: 'NAME[:TAG] or NAME[:TAG]@DIGEST (nginx is docker.io/library/nginx:latest)',
      })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print no progress' })
      .option('platform', {
        type: 'string',
        describe: 'OS/ARCH[/VARIANT] to pick from a multi-platform image',
        defaultDescription: 'this host',
      })
      .option('unpack-limit', {
        type: 'string',
        describe: 'refuse an image that unpacks to more than this (bytes, or 500M, 2G)',
        defaultDescription: 'free space of the store less a reserve',
      }),
  handler: async (argv: ArgumentsCamelCase<PullArgs>) => {
    let ref;
    let platform;
    try {
      ref = parseRef(argv.ref);
      platform = argv.platform === undefined ? undefined : parsePlatform(argv.platform, '--platform');
    } catch (err) {
      throw new ExitError((err as Error).message, 125);
    }
    const store = new ImageStore(rootsOf(argv));
    const progress = progressFor(process.stderr, argv.quiet);
    const image = await pullImage(store, ref, {
      platform,
      credentials: hostCredentialSources(),
      progress,
      unpackLimit: argv.unpackLimit,
    });
    process.stdout.write(argv.quiet ? `${image.id}\n` : `${image.ref} ${image.id}\n`);
  },
};
