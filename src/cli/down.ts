/**
 * `tspod down FILE... [-f FILE]...`: remove everything the files made, as `podman kube down` does:
 * each Pod of the files, every pod a workload of the files owns, and each Job with its controller
 * and its pods (workloads/in-use.ts). Running pods are stopped at once (as `rm -f`). The removed
 * pods are printed, one per line.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { expandSource, loadObjects, ManifestError } from '../manifest/index.js';
import { describeInUse, findInUse, removeInUse } from '../workloads/in-use.js';
import { ExitError, STDIN_ARG, describeError, rootsOf, type GlobalArgs } from './common.js';

interface DownArgs extends GlobalArgs {
  files?: string[];
  file?: string | string[];
}

const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const downCommand: CommandModule<GlobalArgs, DownArgs> = {
  command: 'down [files..]',
  describe: "Remove everything a run of the files made (pods, workloads' pods, Jobs)",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('files', {
        type: 'string',
        array: true,
        describe: 'the files given to "tspod run" (or - for standard input)',
      })
      .option('file', { alias: 'f', type: 'string', describe: 'another such file (repeatable)' })
      .example('$0 down deployment.yaml', 'remove the pods the Deployment made')
      .example('$0 down -f job.yaml -f web.yaml', "stop a Job's controller, remove its pods, and the pods of web.yaml")
      .epilogue(
        'Exit status: 0 when everything was removed (or nothing of the files was there); 125 otherwise.',
      ) as unknown as Argv<DownArgs>,
  handler: async (argv: ArgumentsCamelCase<DownArgs>) => {
    const roots = rootsOf(argv);
    const given = [...(argv.files ?? []), ...many(argv.file)].map((s) => (s === STDIN_ARG ? '-' : s));
    if (given.length === 0)
      throw new ExitError('no manifest given: tspod down FILE... (or -f FILE, or - for standard input)', 125);
    const sources = [];
    for (const s of given) for (const f of await expandSource(s)) sources.push({ source: f, role: 'any' as const });
    let loaded;
    try {
      // Only names and kinds matter here: a field tspod refuses need not stop a clean-up.
      loaded = await loadObjects(sources, { ignoreUnsupported: true });
    } catch (err) {
      if (err instanceof ManifestError)
        throw new ExitError(`invalid manifest ${given.join(', ')}:\n${err.message}`, 125);
      throw err;
    }
    const found = await findInUse(
      roots,
      loaded.pods.map((p) => p.pod.metadata.name),
      loaded.workloads.map((w) => w.workload),
    );
    if (found.length === 0) {
      process.stderr.write(`tspod: nothing of ${given.join(', ')} is on this node\n`);
      return;
    }
    process.stderr.write(`tspod: removing ${describeInUse(found)}\n`);
    const warn = (line: string) => process.stderr.write(`tspod: warning: ${line}\n`);
    try {
      for (const name of await removeInUse(roots, found, warn)) process.stdout.write(`${name}\n`);
    } catch (err) {
      throw new ExitError(describeError(err), 125);
    }
  },
};
