/**
 * `tspod wait POD... --for=condition=Ready|Initialized|...[=false] | --for=delete |
 * --for=jsonpath={.status.phase}=VALUE [--timeout 30s]`, as `kubectl wait`: returns 0 once every
 * pod is there (printing `pod/NAME condition met`), 1 at the timeout
 * (`timed out waiting for the condition on pods/NAME`), 125 for bad arguments.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { parseDuration } from '../logs/select.js';
import { parseWaitFor, waitForPod, WaitTimeoutError } from '../pods/wait.js';
import { ExitError, checkPodNames, rootsOf, type GlobalArgs } from './common.js';

interface WaitArgs extends GlobalArgs {
  pods: string[];
  for: string;
  timeout: string;
}

export const waitCommand: CommandModule<GlobalArgs, WaitArgs> = {
  command: 'wait <pods..>',
  describe: 'Wait until pods meet a condition, are deleted, or have a field value',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pods', { type: 'string', array: true, demandOption: true, describe: 'pod names' })
      .option('for', {
        type: 'string',
        demandOption: true,
        describe: 'condition=TYPE[=false], delete, or jsonpath={.path}=VALUE',
      })
      .option('timeout', {
        type: 'string',
        default: '30s',
        describe: 'how long to wait (1m30s, 500ms, 0 to check once)',
      })
      .example('$0 wait web --for=condition=Ready', 'until the pod is Ready')
      .example('$0 wait job --for=jsonpath={.status.phase}=Succeeded --timeout 5m', 'until it has succeeded'),
  handler: async (argv: ArgumentsCamelCase<WaitArgs>) => {
    const names = argv.pods.map(String);
    checkPodNames(names);
    const w = parseWaitFor(argv.for);
    if (!w)
      throw new ExitError(`--for: "${argv.for}" is not condition=TYPE[=false], delete or jsonpath={.field}=VALUE`, 125);
    const ms = parseDuration(argv.timeout);
    if (ms === undefined)
      throw new ExitError(`--timeout: "${argv.timeout}" is not a duration (such as 30s, 1m30s, 500ms)`, 125);
    const roots = rootsOf(argv);
    for (const name of names) {
      try {
        await waitForPod(roots, name, w, ms);
      } catch (err) {
        throw new ExitError((err as Error).message, err instanceof WaitTimeoutError ? 1 : 125);
      }
      process.stdout.write(`pod/${name} ${w.kind === 'delete' ? 'deleted' : 'condition met'}\n`);
    }
  },
};
