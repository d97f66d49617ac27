/**
 * The files given to `tspod run`: one or more, each with one or more YAML documents (`---`
 * between them, or a `kind: List` whose `items` are objects), holding Pods, ConfigMaps and
 * Secrets. A directory stands for its `.yaml`, `.yml` and `.json` files, in name order, as
 * `kubectl apply -f DIR` reads it.
 *
 * Workloads (`Deployment`, `ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`: workloads.ts) are
 * validated with their template, as the Pod it becomes; their pods are made later
 * (workload-pods.ts), so that each run names them afresh.
 *
 * Every object is validated before anything runs; the issues of all of them are reported together,
 * each path prefixed with `FILE#N` (the N-th object of the file, from 1).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { addConfigObject, noConfig, readConfigObject, type ConfigObjects } from './config-objects.js';
import { ManifestError, type Issue } from './errors.js';
import { parseDocuments } from './parse.js';
import { readStdin } from '../stdin.js';
import type { Pod } from './types.js';
import { validatePod } from './validate.js';
import { isPlainObject } from './walk.js';
import { jobPod, workloadPods } from './workload-pods.js';
import { readWorkload, REFUSED_KINDS, WORKLOAD_KINDS, type Workload } from './workloads.js';
import { nth } from '../checked.js';

export interface LoadedObjects {
  pods: { pod: Pod; source: string }[];
  workloads: { workload: Workload; source: string }[];
  config: ConfigObjects;
  warnings: string[];
}

export interface ObjectFile {
  source: string;
  /** `config`: a `--configmap`/`--secret` file, which may hold only ConfigMaps and Secrets */
  role: 'any' | 'config';
}

const CONFIG_KINDS = ['ConfigMap', 'Secret'];

/** The files a command-line argument stands for: itself, or a directory's manifests. */
export async function expandSource(source: string): Promise<string[]> {
  if (source === '-') return [source];
  const st = await stat(source).catch(() => undefined);
  if (!st?.isDirectory()) return [source];
  const names = (await readdir(source)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
  return names.map((n) => path.join(source, n));
}

async function readSource(source: string, readIn: () => Promise<string>): Promise<string> {
  try {
    return source === '-' ? await readIn() : await readFile(source, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ManifestError([{ path: source, message: `cannot read the manifest: ${why}` }], { cause: err, source });
  }
}

/** The objects of one text, `kind: List` flattened. */
function objectsOf(text: string, name: string): unknown[] {
  return parseDocuments(text, name).flatMap((d) => {
    const v = d.value;
    if (isPlainObject(v) && v.kind === 'List' && Array.isArray(v.items)) return v.items as unknown[];
    return [v];
  });
}

function take(out: LoadedObjects, value: unknown, where: string, file: ObjectFile, ignoreUnsupported: boolean): void {
  const kind = isPlainObject(value) && typeof value.kind === 'string' ? value.kind : undefined;
  if (kind && CONFIG_KINDS.includes(kind)) return addConfigObject(out.config, readConfigObject(value, where), where);
  if (file.role === 'config') {
    throw new ManifestError([
      {
        path: where,
        message: `kind ${kind ?? '(none)'}: --configmap and --secret files hold only ConfigMaps and Secrets`,
      },
    ]);
  }
  if (kind && REFUSED_KINDS[kind])
    throw new ManifestError([
      { path: `${where}: kind`, message: `kind "${kind}" is not supported: ${REFUSED_KINDS[kind]}` },
    ]);
  if (kind && (WORKLOAD_KINDS as readonly string[]).includes(kind))
    return takeWorkload(out, value, where, ignoreUnsupported);
  if (kind !== 'Pod') {
    throw new ManifestError([
      {
        path: `${where}: kind`,
        message:
          `${kind === undefined ? 'required' : `kind "${kind}" is not supported`} ` +
          `(tspod runs Pod, ${WORKLOAD_KINDS.join(', ')}, ConfigMap, Secret and List objects)`,
      },
    ]);
  }
  try {
    const { pod, warnings } = validatePod(value, { ignoreUnsupported });
    out.pods.push({ pod, source: where });
    out.warnings.push(...warnings.map((w) => `${where}: ${w}`));
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    throw new ManifestError(err.issues.map((i) => ({ path: `${where}: ${i.path}`, message: i.message })));
  }
}

/** A template's issue, as the API server names it: `spec.template.spec...`, `spec.template.metadata...`. */
function templatePath(path: string): string {
  return /^(spec|metadata)(\.|\[|$)/.test(path) && !path.startsWith('metadata.name') ? `spec.template.${path}` : path;
}

/** A workload, and its template validated as the Pod it becomes (a sample pod, named as its first). */
function takeWorkload(out: LoadedObjects, value: unknown, where: string, ignoreUnsupported: boolean): void {
  const workload = readWorkload(value, where, ignoreUnsupported);
  const uid = workload.metadata.uid ?? 'sample';
  const sample =
    workload.kind === 'Job'
      ? jobPod(workload, { uid })
      : nth(workloadPods({ ...workload, replicas: 1, paused: false }, { uid }), 0); // one replica: one pod
  try {
    const { warnings } = validatePod(sample, { ignoreUnsupported });
    out.warnings.push(...warnings.map((w) => `${where}: ${templatePath(w)}`));
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    throw new ManifestError(err.issues.map((i) => ({ path: `${where}: ${templatePath(i.path)}`, message: i.message })));
  }
  out.workloads.push({ workload, source: where });
}

/** Reads and validates every object of `files`; throws one ManifestError with all the issues. */
export async function loadObjects(
  files: ObjectFile[],
  opts: { ignoreUnsupported?: boolean; readStdin?: () => Promise<string> } = {},
): Promise<LoadedObjects> {
  const out: LoadedObjects = { pods: [], workloads: [], config: noConfig(), warnings: [] };
  const issues: Issue[] = [];
  for (const file of files) {
    const name = file.source === '-' ? '<stdin>' : file.source;
    const text = await readSource(file.source, opts.readStdin ?? readStdin);
    const values = objectsOf(text, name);
    values.forEach((v, i) => {
      try {
        take(out, v, values.length > 1 ? `${name}#${i + 1}` : name, file, opts.ignoreUnsupported ?? false);
      } catch (err) {
        if (!(err instanceof ManifestError)) throw err;
        issues.push(...err.issues);
      }
    });
  }
  if (issues.length > 0) throw new ManifestError(issues);
  return out;
}
