/**
 * `tspod ns POD [--json]`: the namespaces of the pod's processes (the infra, then each running
 * container's main process), read from /proc/<pid>/ns/*, side by side.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatNsTable, podNamespaces, readNamespaces } from '../pods/namespaces.js';
import { getPod, stateOf } from '../pods/pods.js';
import { checkPodName, rootsOf, type GlobalArgs } from './common.js';

interface NsArgs extends GlobalArgs {
  pod: string;
  json: boolean;
}

export const nsCommand: CommandModule<GlobalArgs, NsArgs> = {
  command: 'ns <pod>',
  describe: "Show the namespaces of a pod's processes",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pod', { type: 'string', demandOption: true, describe: 'pod name' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print {"infra": {pid, ns}, "containers": {NAME: {pid, ns}}}',
      })
      .example('$0 ns web', 'which namespaces the infra and the containers of "web" share'),
  handler: async (argv: ArgumentsCamelCase<NsArgs>) => {
    checkPodName(argv.pod);
    const state = stateOf(await getPod(rootsOf(argv), argv.pod));
    const ns = podNamespaces(state);
    if (!ns.infra && Object.keys(ns.containers).length === 0)
      throw new Error(`pod "${argv.pod}" has no running process`);
    process.stdout.write(argv.json ? JSON.stringify(ns, null, 2) + '\n' : formatNsTable(ns, readNamespaces('self')));
  },
};
