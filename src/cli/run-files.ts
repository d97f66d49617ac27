/**
 * The files of `tspod run FILE... [-f FILE]... [--configmap FILE]... [--secret FILE]...`: every
 * object read and validated, each pod paired with the ConfigMaps and Secrets it refers to, and
 * every reference checked, before anything is made (a bad file or a missing object: status 125).
 */
import { randomUUID } from 'node:crypto';
import {
  checkEnvRefs,
  expandSource,
  jobPod,
  loadObjects,
  ManifestError,
  validatePod,
  workloadPods,
  type ConfigObjects,
  type ObjectFile,
  type Workload,
} from '../manifest/index.js';
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
  /** the workload that made the pod (absent: a Pod of the files) */
  workload?: Workload;
}

/** A Job of the files: its controller makes the pods; `sample` is one, for admission and images. */
export interface JobToRun {
  workload: Workload;
  config: ConfigObjects;
  sample: Pod;
}

/** Everything a run of the files makes. */
export interface RunObjects {
  pods: PodToRun[];
  jobs: JobToRun[];
  /** the workloads of the files (Jobs included), in file order */
  workloads: Workload[];
  /** the Pods of the files by name (not those the workloads make) */
  podNames: string[];
}

const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

async function sources(args: FileArgs): Promise<ObjectFile[]> {
  const any = [...(args.files ?? []), ...many(args.file)].map((s) => (s === STDIN_ARG ? '-' : s));
  if (any.length === 0)
    throw new ExitError('no manifest given: tspod run FILE... (or -f FILE, or - for standard input)', 125);
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

function checked(pod: Pod, all: ConfigObjects): ConfigObjects {
  const config = referencedConfig(pod, all);
  try {
    checkConfigVolumes(pod, config);
    for (const w of checkEnvRefs(pod, config))
      process.stderr.write(`tspod: warning: pod "${pod.metadata.name}": ${w}\n`);
  } catch (err) {
    throw new ExitError(`pod "${pod.metadata.name}": ${(err as Error).message}`, 125);
  }
  return config;
}

/**
 * The objects of the files: each Pod, each pod the workloads make now (their names drawn now, as
 * their controllers would), each Job with a sample of its pods; all checked, as loadPods does.
 */
export async function loadRun(args: FileArgs): Promise<RunObjects> {
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
  if (loaded.pods.length === 0 && loaded.workloads.length === 0)
    throw new ExitError(`no Pod or workload in ${shown}`, 125);
  const names = new Set<string>();
  const claim = (name: string, source: string) => {
    if (names.has(name)) throw new ExitError(`${source}: pod "${name}" is defined twice`, 125);
    names.add(name);
  };
  const kinds = new Set<string>();
  const out: RunObjects = { pods: [], jobs: [], workloads: [], podNames: [] };
  for (const { pod, source } of loaded.pods) {
    claim(pod.metadata.name, source);
    out.podNames.push(pod.metadata.name);
    out.pods.push({ pod, config: checked(pod, loaded.config) });
  }
  for (const { workload, source } of loaded.workloads) {
    const key = `${workload.kind}/${workload.metadata.namespace}/${workload.metadata.name}`;
    if (kinds.has(key))
      throw new ExitError(`${source}: ${workload.kind} "${workload.metadata.name}" is defined twice`, 125);
    kinds.add(key);
    out.workloads.push(workload);
    const uid = workload.metadata.uid ?? randomUUID();
    const w: Workload = { ...workload, metadata: { ...workload.metadata, uid } };
    if (w.kind === 'Job') {
      const sample = validatePod(jobPod(w, { uid })).pod;
      out.jobs.push({ workload: w, config: checked(sample, loaded.config), sample });
      continue;
    }
    for (const raw of workloadPods(w, { uid })) {
      const { pod } = validatePod(raw);
      claim(pod.metadata.name, source);
      out.pods.push({ pod, config: checked(pod, loaded.config), workload: w });
    }
  }
  return out;
}
