/**
 * `tspod gc`: clean up after pods whose supervisor is gone (killed, crashed): their processes,
 * mounts, netns pins, network leases, cgroups, state. Prints the name of each pod removed. Then,
 * when no pod is on the built-in network, its host rules and bridge (network/host-rules.ts).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { removeBuiltinNetwork } from '../network/index.js';
import { gcPods } from '../teardown/gc.js';
import { ExitError, describeError, rootsOf, type GlobalArgs } from './common.js';

export const gcCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'gc',
  describe: 'Clean up after pods whose supervisor is gone',
  builder: (y: Argv<GlobalArgs>) =>
    y.example(
      '$0 gc',
      "remove what orphaned pods left (processes, mounts, netns, leases, cgroups), and the tspod network's rules and bridge if no pod uses it",
    ),
  handler: async (argv: ArgumentsCamelCase<GlobalArgs>) => {
    const warn = (line: string) => process.stderr.write(`tspod: warning: ${line}\n`);
    const result = await gcPods(rootsOf(argv), { warn });
    for (const name of result.removed) process.stdout.write(`${name}\n`);
    for (const f of result.failed) process.stderr.write(`tspod: ${describeError(f.error)}\n`);
    // After the pods: a pod collected above may have been the network's last.
    await removeBuiltinNetwork().catch((err: unknown) =>
      warn(`removing the unused tspod network's rules: ${describeError(err)}`),
    );
    if (result.failed.length > 0) throw new ExitError('', 125);
  },
};
