/**
 * The files of `tspod run FILE... [-f FILE]... [--configmap FILE]... [--secret FILE]...`: every
 * object read and validated, each pod paired with the ConfigMaps and Secrets it refers to, and
 * every reference checked, before anything is made (a bad file or a missing object: status 125).
 */
import { checkEnvRefs, expandSource, loadObjects, ManifestError, type ConfigObjects, type ObjectFile } from '../manifest/index.js';
import type { Pod } from '../manifest/types.js';
import { checkConfigVolumes, referencedConfig } from '../runtime/config-volumes.js';
import { ExitError, STDIN_ARG } from './common.js';

export interface FileArgs {
  files?: string[];
  /** one value, or an array when the option is repeated */
  file?: string | string[];
  configmap?: string | string[];
  secret?: string | string[];
  ignoreUnsupported: boolean;
}

export interface PodToRun {
  pod: Pod;
  config: ConfigObjects;
}

const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

async function sources(args: FileArgs): Promise<ObjectFile[]> {
  const any = [...(args.files ?? []), ...many(args.file)].map((s) => (s === STDIN_ARG ? '-' : s));
  if (any.length === 0) throw new ExitError('no manifest given: tspod run FILE... (or -f FILE, or - for standard input)', 125);
  if (any.filter((s) => s === '-').length > 1) throw new ExitError('standard input (-) can be given only once', 125);
  const out: ObjectFile[] = [];
  for (const s of any) for (const f of await expandSource(s)) out.push({ source: f, role: 'any' });
  for (const s of [...many(args.configmap), ...many(args.secret)]) out.push({ source: s, role: 'config' });
  return out;
}

/**
 * A file that could not be read, in one line naming it once: `cannot read pod.yaml: ENOENT (no
 * such file or directory)` (Node's own message would repeat the path after the syscall).
 */
function cannotRead(err: ManifestError): string | undefined {
  const sys = err.cause as NodeJS.ErrnoException | undefined;
  if (!sys?.code || err.source === undefined) return undefined;
  const what = sys.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '');
  return `cannot read ${err.source === '-' ? 'standard input' : err.source}: ${sys.code} (${what})`;
}

/** The pods of the files, each with its configuration, checked; warnings go to stderr. */
export async function loadPods(args: FileArgs): Promise<PodToRun[]> {
  const files = await sources(args);
  const shown = files.map((f) => (f.source === '-' ? '<stdin>' : f.source)).join(', ');
  let loaded;
  try {
    loaded = await loadObjects(files, { ignoreUnsupported: args.ignoreUnsupported });
  } catch (err) {
    const unreadable = err instanceof ManifestError ? cannotRead(err) : undefined;
    if (unreadable) throw new ExitError(unreadable, 125);
    if (err instanceof ManifestError) throw new ExitError(`invalid manifest ${shown}:\n${err.message}`, 125);
    throw err;
  }
  for (const w of loaded.warnings) process.stderr.write(`tspod: warning: ${w}\n`);
  if (loaded.pods.length === 0) throw new ExitError(`no Pod in ${shown}`, 125);
  const names = new Set<string>();
  return loaded.pods.map(({ pod, source }) => {
    if (names.has(pod.metadata.name)) throw new ExitError(`${source}: pod "${pod.metadata.name}" is defined twice`, 125);
    names.add(pod.metadata.name);
    const config = referencedConfig(pod, loaded.config);
    try {
      checkConfigVolumes(pod, config);
      for (const w of checkEnvRefs(pod, config)) process.stderr.write(`tspod: warning: pod "${pod.metadata.name}": ${w}\n`);
    } catch (err) {
      throw new ExitError(`pod "${pod.metadata.name}": ${(err as Error).message}`, 125);
    }
    return { pod, config };
  });
}
