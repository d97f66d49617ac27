/** Every command of the CLI, in the order `tspod --help` lists them. Add new command modules here. */
import type { CommandModule } from 'yargs';
import { adoptCommand } from './adopt.js';
import { attachCommand } from './attach.js';
import { completionCommand } from './completion.js';
import { downCommand } from './down.js';
import { eventsCommand } from './events.js';
import { execCommand } from './exec.js';
import { gcCommand } from './gc.js';
import { imageCommand } from './image.js';
import { inspectCommand } from './inspect.js';
import { jobCommand } from './job.js';
import { logsCommand } from './logs.js';
import { nsCommand } from './ns.js';
import { psCommand } from './ps.js';
import { rmCommand } from './rm.js';
import { runCommand } from './run.js';
import { stopCommand } from './stop.js';
import { superviseCommand } from './supervise.js';
import { volumeCommand } from './volume.js';
import { waitCommand } from './wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  runCommand,
  psCommand,
  inspectCommand,
  nsCommand,
  logsCommand,
  eventsCommand,
  execCommand,
  attachCommand,
  stopCommand,
  waitCommand,
  rmCommand,
  downCommand,
  gcCommand,
  imageCommand,
  volumeCommand,
  completionCommand,
  superviseCommand,
  adoptCommand,
  jobCommand,
];
