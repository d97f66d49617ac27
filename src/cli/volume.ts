/**
 * `tspod volume ls|inspect|rm`: the named local volumes behind `persistentVolumeClaim` (CLI.md),
 * as `podman volume` shows them. A claim name is a volume name: `<root>/volumes/NAME/_data`,
 * made by the first pod that mounts it and kept across pods until `rm`, which refuses a volume
 * that a pod of this host still has in its spec (running or kept), naming the pods.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dnsSubdomain } from '../manifest/names.js';
import { claimDir, type Roots } from '../paths.js';
import { listPods } from '../pods/pods.js';
import { padColumns } from '../table.js';
import { ExitError, rootsOf, type GlobalArgs } from './common.js';

interface VolumeArgs extends GlobalArgs {
  names?: string[];
  json?: boolean;
}

function checkName(name: string): string {
  const problem = dnsSubdomain(name);
  if (problem) throw new ExitError(`invalid volume name "${name}": ${problem}`, 125);
  return name;
}

/** The pods whose spec mounts claim `name`. */
async function usersOf(roots: Roots, name: string): Promise<string[]> {
  return (await listPods(roots))
    .filter((p) => p.state?.pod.spec.volumes.some((v) => v.persistentVolumeClaim?.claimName === name))
    .map((p) => p.name);
}

async function describeVolume(roots: Roots, name: string) {
  const data = claimDir(roots, checkName(name));
  const st = await fs.stat(data).catch(() => undefined);
  if (!st) throw new ExitError(`no such volume: ${name}`, 1);
  return { name, mountpoint: data, created: st.birthtime.toISOString(), usedBy: await usersOf(roots, name) };
}

async function names(roots: Roots): Promise<string[]> {
  const dir = path.join(roots.root, 'volumes');
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

const lsCommand: CommandModule<GlobalArgs, VolumeArgs> = {
  command: ['ls', 'list'],
  describe: 'list the named volumes',
  builder: (y: Argv<GlobalArgs>) =>
    y.option('json', { type: 'boolean', default: false, describe: 'print the records as JSON' }) as Argv<VolumeArgs>,
  handler: async (argv: ArgumentsCamelCase<VolumeArgs>) => {
    const roots = rootsOf(argv);
    const all = await Promise.all((await names(roots)).map((n) => describeVolume(roots, n)));
    if (argv.json) return void process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    const rows = [
      ['NAME', 'USED BY', 'MOUNTPOINT'],
      ...all.map((v) => [v.name, v.usedBy.join(',') || '-', v.mountpoint]),
    ];
    process.stdout.write(padColumns(rows, 3).join('\n') + '\n');
  },
};

const inspectCommand: CommandModule<GlobalArgs, VolumeArgs> = {
  command: 'inspect <names..>',
  describe: 'show named volumes as JSON',
  handler: async (argv: ArgumentsCamelCase<VolumeArgs>) => {
    const roots = rootsOf(argv);
    const out = [];
    for (const n of argv.names ?? []) out.push(await describeVolume(roots, n));
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  },
};

const rmCommand: CommandModule<GlobalArgs, VolumeArgs> = {
  command: 'rm <names..>',
  describe: 'remove named volumes and their data (refused while a pod has one in its spec)',
  handler: async (argv: ArgumentsCamelCase<VolumeArgs>) => {
    const roots = rootsOf(argv);
    for (const n of argv.names ?? []) {
      const v = await describeVolume(roots, n);
      if (v.usedBy.length > 0)
        throw new ExitError(
          `volume "${n}" is in use by pod${v.usedBy.length > 1 ? 's' : ''} ${v.usedBy.join(', ')}: remove ${v.usedBy.length > 1 ? 'them' : 'it'} first`,
          125,
        );
      await fs.rm(path.dirname(v.mountpoint), { recursive: true, force: true });
      process.stdout.write(`${n}\n`);
    }
  },
};

export const volumeCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'volume',
  describe: 'list, inspect and remove the named volumes behind persistentVolumeClaim',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(lsCommand)
      .command(inspectCommand)
      .command(rmCommand)
      .demandCommand(1, 'volume: a subcommand is required: ls, inspect or rm'),
  handler: () => undefined,
};
