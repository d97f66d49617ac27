/**
 * `tspod inspect POD... [-o json|yaml]`: pods as Kubernetes `Pod` objects (pods/view.ts): metadata
 * with uid and creationTimestamp, the spec as run (defaults applied), and the PodStatus as the
 * kubelet writes it. One pod prints as itself, several as a `v1` `List`, as `kubectl get pod A B
 * -o json` does. A pod that is not there is reported and the others still printed (status 125).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatPods } from '../pods/output.js';
import { getPod, stateOf } from '../pods/pods.js';
import { podObject, type PodObject } from '../pods/view.js';
import { ExitError, checkPodNames, describeError, permissionProblem, rootsOf, type GlobalArgs } from './common.js';

interface InspectArgs extends GlobalArgs {
  pods: string[];
  output: 'json' | 'yaml';
}

export const inspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <pods..>',
  describe: 'Show pods as Kubernetes Pod objects (JSON or YAML)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pods', { type: 'string', array: true, demandOption: true, describe: 'pod names' })
      .option('output', {
        alias: 'o',
        choices: ['json', 'yaml'] as const,
        default: 'json' as const,
        describe: 'the format',
      })
      .example('$0 inspect web', 'the pod "web" with its status, as JSON')
      .example('$0 inspect -o yaml web db', 'two pods, as a v1 List in YAML'),
  handler: async (argv: ArgumentsCamelCase<InspectArgs>) => {
    const names = argv.pods.map(String);
    checkPodNames(names);
    const roots = rootsOf(argv);
    const found: PodObject[] = [];
    const errors: string[] = [];
    for (const name of names) {
      try {
        const pod = await getPod(roots, name);
        found.push(podObject(stateOf(pod), pod.condition));
      } catch (err) {
        if (names.length === 1) throw err;
        errors.push(permissionProblem(err) ?? describeError(err));
      }
    }
    if (found.length > 0) process.stdout.write(formatPods(found, argv.output, names.length > 1));
    for (const e of errors) process.stderr.write(`tspod: ${e}\n`);
    if (errors.length > 0) throw new ExitError('', 125);
  },
};
