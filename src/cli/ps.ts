/**
 * `tspod ps [-a] [-o wide|json|yaml|name] [-q] [--no-headers] [-l SELECTOR]`: the pods on this
 * host, as `kubectl get pods` lists them (CLI.md). Running ones by default, and orphaned ones
 * (their supervisor is gone; they hold resources until `tspod gc`); `-a` adds the pods that ended
 * and are kept. The table has kubectl's columns and STATUS words (pods/ps-table.ts); `-o json`
 * and `-o yaml` print a `v1` `List` of the Pod objects `inspect` prints (`--json` is `-o json`);
 * `-o name` prints `pod/NAME`, `-q` the bare names; `-l` keeps the pods whose labels match.
 */
import os from 'node:os';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatPods } from '../pods/output.js';
import { listPods } from '../pods/pods.js';
import { PS_HEADER, PS_WIDE_HEADER, formatTable, psCells, psRow } from '../pods/ps-table.js';
import { SelectorError, matches, parseSelector } from '../pods/selector.js';
import { podObject } from '../pods/view.js';
import type { PodState } from '../state/types.js';
import { rootsOf, type GlobalArgs } from './common.js';
import { UsageError } from './usage.js';

const FORMATS = ['wide', 'json', 'yaml', 'name'] as const;

interface PsArgs extends GlobalArgs {
  all: boolean;
  json: boolean;
  output?: string;
  quiet: boolean;
  headers: boolean;
  selector?: string | string[];
}

const HINT = [
  'Usage: tspod ps [-a] [-o wide|json|yaml|name] [-q] [--no-headers] [-l SELECTOR] [options]',
  'See "tspod ps --help" for help and examples.',
];

/** `-l` (repeated: all of them), parsed; a bad selector is a usage error. */
export function selectorOf(v: string | string[] | undefined) {
  try {
    return parseSelector([v ?? []].flat().join(','));
  } catch (err) {
    if (err instanceof SelectorError) throw new UsageError(`error: ${err.message}`, HINT);
    throw err;
  }
}

function formatOf(a: PsArgs): (typeof FORMATS)[number] | 'table' {
  if (a.json && a.output !== undefined && a.output !== 'json')
    throw new UsageError('error: --json and -o are two ways of choosing the output: give one', HINT);
  if (a.json || a.output === undefined) return a.json ? 'json' : 'table';
  const f = a.output;
  if (!(FORMATS as readonly string[]).includes(f)) {
    throw new UsageError(
      `error: unknown output format ${JSON.stringify(f)}: expected one of ${FORMATS.join(', ')}`,
      HINT,
    );
  }
  return f as (typeof FORMATS)[number] | 'table';
}

export const psCommand: CommandModule<GlobalArgs, PsArgs> = {
  command: 'ps',
  describe: 'List pods',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'also the pods that ended and are kept' })
      .option('output', {
        alias: 'o',
        type: 'string',
        describe: 'wide (more columns), json or yaml (a v1 List of Pods), name (pod/NAME)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'the same as -o json' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the pod names' })
      .option('headers', { type: 'boolean', default: true, describe: 'print the header line (--no-headers: do not)' })
      .option('selector', {
        alias: 'l',
        type: 'string',
        describe: 'only pods whose labels match: k=v, k!=v, k in (a,b), k notin (a), k, !k (comma: and)',
      })
      .example('$0 ps', 'running pods: NAME READY STATUS RESTARTS AGE')
      .example('$0 ps -a -o wide', 'also the pods that ended, with their IPs')
      .example('$0 ps -l app=web,tier!=db', 'the pods whose labels match')
      .example('$0 ps -o yaml', 'a v1 List of the Pod objects, in YAML')
      .example('$0 rm $($0 ps -a -q -l app=web)', 'the names alone, for scripts'),
  handler: async (argv: ArgumentsCamelCase<PsArgs>) => {
    const format = formatOf(argv);
    const selector = selectorOf(argv.selector);
    const pods = (await listPods(rootsOf(argv)))
      .filter((p) => p.state && (argv.all || p.condition !== 'terminated'))
      .map((p) => ({ object: podObject(p.state as PodState, p.condition), orphaned: p.condition === 'orphaned' }))
      .filter((p) => matches(selector, p.object.metadata.labels));
    if (argv.quiet) {
      process.stdout.write(pods.map((p) => `${p.object.metadata.name}\n`).join(''));
      return;
    }
    if (format === 'json' || format === 'yaml' || format === 'name') {
      process.stdout.write(
        formatPods(
          pods.map((p) => p.object),
          format,
          true,
        ),
      );
      return;
    }
    const now = new Date();
    const wide = format === 'wide';
    const rows = pods.map((p) => psCells(psRow(p.object, p.orphaned, now, os.hostname()), wide));
    process.stdout.write(formatTable(argv.headers ? (wide ? PS_WIDE_HEADER : PS_HEADER) : undefined, rows));
  },
};
