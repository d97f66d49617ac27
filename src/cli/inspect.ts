/**
 * `tspod inspect POD`: the pod as a Kubernetes `Pod` object (JSON): metadata with uid and
 * creationTimestamp, the spec as run (defaults applied), and its PodStatus.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { getPod, stateOf } from '../pods/pods.js';
import { podObject } from '../pods/view.js';
import { checkPodName, rootsOf, type GlobalArgs } from './common.js';

interface InspectArgs extends GlobalArgs {
  pod: string;
}

export const inspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <pod>',
  describe: 'Show a pod as a Kubernetes Pod object (JSON)',
  builder: (y: Argv<GlobalArgs>) => y.positional('pod', { type: 'string', demandOption: true, describe: 'pod name' }).example('$0 inspect web', 'the pod "web" with its status'),
  handler: async (argv: ArgumentsCamelCase<InspectArgs>) => {
    checkPodName(argv.pod);
    const pod = await getPod(rootsOf(argv), argv.pod);
    process.stdout.write(JSON.stringify(podObject(stateOf(pod), pod.condition), null, 2) + '\n');
  },
};
