/**
 * `tspod logs POD [-c NAME | --all-containers] [-f] [-p] [--timestamps] [--tail N] [--since D |
 * --since-time T] [--prefix]`: a container's output, from its CRI log files, as `kubectl logs`
 * prints it. Without `-c`: the app container, or all of them (each line prefixed `[NAME] `) when
 * the pod has several; `--all-containers` adds the init containers; `--prefix` puts
 * `[pod/POD/CONTAINER] ` before every line. `--timestamps` shows each line's time as the CRI file
 * holds it (RFC 3339, nanoseconds).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { showLogs } from '../logs/follow.js';
import { parseDuration, parseRfc3339 } from '../logs/select.js';
import { checkPodName, rootsOf, type GlobalArgs } from './common.js';
import { UsageError } from './usage.js';

interface LogsArgs extends GlobalArgs {
  pod: string;
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tail: number;
  since?: string;
  sinceTime?: string;
  allContainers: boolean;
  prefix: boolean;
}

const HINT = [
  'Usage: tspod logs POD [-c NAME | --all-containers] [-f] [-p] [--timestamps] [--tail N] [--since DURATION | --since-time TIME] [--prefix]',
  'See "tspod logs --help" for help and examples.',
];

/** --since and --since-time as nanoseconds since the epoch (checked: one of them, well formed). */
export function sinceOf(a: { since?: string; sinceTime?: string }, nowMs = Date.now()): bigint | undefined {
  if (a.since !== undefined && a.sinceTime !== undefined)
    throw new UsageError('error: at most one of --since and --since-time', HINT);
  if (a.since !== undefined) {
    const ms = parseDuration(a.since);
    if (ms === undefined)
      throw new UsageError(
        `error: --since ${JSON.stringify(a.since)}: expected a duration such as 30s, 5m, 2h or 1h30m`,
        HINT,
      );
    return BigInt(Math.round((nowMs - ms) * 1000)) * 1000n;
  }
  if (a.sinceTime !== undefined) {
    const ns = parseRfc3339(a.sinceTime);
    if (ns === undefined)
      throw new UsageError(
        `error: --since-time ${JSON.stringify(a.sinceTime)}: expected an RFC 3339 time such as 2026-12-02T01:00:00Z`,
        HINT,
      );
    return ns;
  }
  return undefined;
}

export const logsCommand: CommandModule<GlobalArgs, LogsArgs> = {
  command: 'logs <pod>',
  describe: "Print the output of a pod's containers",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('pod', { type: 'string', demandOption: true, describe: 'pod name' })
      .option('container', { alias: 'c', type: 'string', describe: 'the container (default: every app container)' })
      .option('all-containers', {
        type: 'boolean',
        default: false,
        describe: 'every container, init containers included',
      })
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'keep printing new output until the container ends',
      })
      .option('previous', {
        alias: 'p',
        type: 'boolean',
        default: false,
        describe: 'the previous instance of a restarted container',
      })
      .option('timestamps', {
        type: 'boolean',
        default: false,
        describe: "print each line's time (RFC 3339, nanoseconds)",
      })
      .option('tail', { type: 'number', default: -1, describe: 'the last N lines of each container (-1: all)' })
      .option('since', { type: 'string', describe: 'only lines newer than a duration ago: 30s, 5m, 1h30m' })
      .option('since-time', { type: 'string', describe: 'only lines at or after an RFC 3339 time' })
      .option('prefix', { type: 'boolean', default: false, describe: 'put [pod/POD/CONTAINER] before each line' })
      .example('$0 logs web', "the output of the pod's app containers")
      .example('$0 logs -f --tail 10 web', 'the last 10 lines, then follow')
      .example(
        '$0 logs --all-containers --prefix --since 5m web',
        'every container, the last five minutes, [pod/web/NAME] before each line',
      )
      .example('$0 logs -p -c app web', 'the previous instance of a restarted container') as unknown as Argv<LogsArgs>,
  handler: async (argv: ArgumentsCamelCase<LogsArgs>) => {
    checkPodName(argv.pod);
    if (argv.container !== undefined && argv.allContainers)
      throw new UsageError('error: -c and --all-containers: give one', HINT);
    if (!Number.isInteger(argv.tail) || argv.tail < -1)
      throw new UsageError(
        `error: --tail ${JSON.stringify(String(argv.tail))}: expected a whole number of lines (-1: all)`,
        HINT,
      );
    const sinceNs = sinceOf(argv);
    await showLogs(rootsOf(argv), argv.pod, {
      container: argv.container,
      follow: argv.follow,
      previous: argv.previous,
      timestamps: argv.timestamps,
      tail: argv.tail,
      sinceNs,
      allContainers: argv.allContainers,
      prefix: argv.prefix,
      write: (bytes) => process.stdout.write(bytes),
    });
  },
};
