/**
 * `tspod events [POD] [--json]`: what happened to a pod (or to every pod), as the Events section
 * of `kubectl describe pod` shows it. `--json` prints the Event objects, with the pod named in
 * `involvedObject.name`.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatEvents, type EventRow } from '../events/format.js';
import { getPod, listPods } from '../pods/pods.js';
import { checkPodName, rootsOf, type GlobalArgs } from './common.js';

interface EventsArgs extends GlobalArgs {
  pod?: string;
  json: boolean;
}

export const eventsCommand: CommandModule<GlobalArgs, EventsArgs> = {
  command: 'events [pod]',
  describe: 'Show the events of a pod (or of every pod)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pod', { type: 'string', describe: 'pod name (default: every pod)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the Event objects' })
      .example('$0 events web', 'what happened to the pod "web"')
      .example('$0 events --json', "every pod's events as Event objects"),
  handler: async (argv: ArgumentsCamelCase<EventsArgs>) => {
    const roots = rootsOf(argv);
    if (argv.pod !== undefined) checkPodName(argv.pod);
    const pods = argv.pod !== undefined ? [await getPod(roots, argv.pod)] : await listPods(roots);
    const rows: EventRow[] = pods.flatMap((p) => (p.state?.events ?? []).map((event) => ({ pod: p.name, event })));
    rows.sort((a, b) => a.event.lastTimestamp.localeCompare(b.event.lastTimestamp));
    if (argv.json) {
      const objects = rows.map((r) => ({ ...r.event, involvedObject: { ...r.event.involvedObject, name: r.pod } }));
      process.stdout.write(JSON.stringify(objects, null, 2) + '\n');
      return;
    }
    if (rows.length === 0) {
      process.stdout.write(argv.pod !== undefined ? `No events for pod "${argv.pod}".\n` : 'No events.\n');
      return;
    }
    process.stdout.write(formatEvents(rows, new Date(), argv.pod === undefined));
  },
};
