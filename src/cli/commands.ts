/** Every command of the CLI, in the order `tspod --help` lists them. Add new command modules here. */
import type { CommandModule } from 'yargs';
import { imageCommand } from './image.js';
import { runCommand } from './run.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [runCommand, imageCommand];
