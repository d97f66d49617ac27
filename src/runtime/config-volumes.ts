/**
 * Volumes whose files the kubelet writes: configMap, secret, downwardAPI and projected, all laid
 * out by the atomic writer.
 *
 * Which files (the kubelet's MakePayload): for a configMap or secret without `items`, every key,
 * mode `defaultMode`; with `items`, only those keys, each at its `path`, mode `mode` or else
 * `defaultMode`. A missing object or item key fails the pod unless the source is `optional` (then
 * it gives no files, or the key is left out). A downwardAPI file holds one field or resource
 * (downward.ts). A projected volume is the union of its sources' files, each under the volume's
 * `defaultMode` unless an item says otherwise; where two sources give the same path the later
 * one wins, as the kubelet's map of payloads does.
 *
 * Where: secret and projected volumes live on a tmpfs of their own (as the kubelet wraps them in
 * a memory-backed emptyDir), so their bytes never reach a disk; configMap and downwardAPI
 * volumes are directories under the pod's data. All are mounted read-only into the containers.
 */
import { fieldValue, resourceValue } from '../manifest/downward.js';
import { objectKey, type ConfigData, type ConfigObjects } from '../manifest/config-objects.js';
import type {
  DownwardAPIVolumeFile,
  DownwardFacts,
  KeyToPath,
  Pod,
  Volume,
  VolumeProjection,
} from '../manifest/types.js';
import { writeAtomic, type PayloadFile, type WriteOwner } from './atomic-writer.js';
import type { PodLayout } from '../layout.js';
import type { Host } from './host.js';
import { nth } from '../checked.js';

type Kind = 'configmap' | 'secret';
interface SourceSpec {
  items?: KeyToPath[];
  defaultMode: number;
  optional?: boolean;
}
export type Source = { kind: Kind; name: string; spec: SourceSpec };

function projectionSource(p: VolumeProjection, defaultMode: number): Source | undefined {
  const ref = p.configMap ?? p.secret;
  if (!ref) return undefined;
  return {
    kind: p.configMap ? 'configmap' : 'secret',
    name: ref.name,
    spec: { items: ref.items, optional: ref.optional, defaultMode },
  };
}

/** The ConfigMaps and Secrets a volume reads: its own, or its projection's. */
export function configSources(v: Volume): Source[] {
  if (v.configMap) return [{ kind: 'configmap', name: v.configMap.name, spec: v.configMap }];
  if (v.secret) return [{ kind: 'secret', name: v.secret.secretName, spec: v.secret }];
  const mode = v.projected?.defaultMode ?? 0;
  return (v.projected?.sources ?? []).flatMap((p) => projectionSource(p, mode) ?? []);
}

/** The volume types this module makes. */
export function isPayloadVolume(v: Volume): boolean {
  return Boolean(v.configMap || v.secret || v.downwardAPI || v.projected);
}

/** Secrets and projections (which may hold secrets) stay in memory. */
export function payloadOnTmpfs(v: Volume): boolean {
  return Boolean(v.secret || v.projected);
}

/** The files of a configMap or secret source (pure). */
export function configPayload(volume: string, src: Source, data: ConfigData | undefined): PayloadFile[] {
  const where = `volume "${volume}": ${src.kind} "${src.name}"`;
  if (!data) {
    if (src.spec.optional) return [];
    throw new Error(`${where} not found`);
  }
  const file = (value: string, path: string, mode: number): PayloadFile => ({
    path,
    content: Buffer.from(value, 'base64'),
    mode,
  });
  if (!src.spec.items?.length) {
    return Object.entries(data)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => file(v, k, src.spec.defaultMode));
  }
  const out: PayloadFile[] = [];
  for (const item of src.spec.items) {
    const value = data[item.key];
    if (value === undefined) {
      if (src.spec.optional) continue;
      throw new Error(`${where} references non-existent config key: ${item.key}`);
    }
    out.push(file(value, item.path, item.mode ?? src.spec.defaultMode));
  }
  return out;
}

/** The files of downwardAPI items (pure). */
export function downwardPayload(
  volume: string,
  items: DownwardAPIVolumeFile[],
  defaultMode: number,
  facts: DownwardFacts,
): PayloadFile[] {
  return items.map((item) => {
    let value: string;
    if (item.fieldRef) value = fieldValue(item.fieldRef.fieldPath, facts);
    else {
      const ref = item.resourceFieldRef!;
      const c = facts.containers?.find((x) => x.name === ref.containerName);
      if (!c || !facts.allocatable)
        throw new Error(`volume "${volume}": ${item.path}: container "${ref.containerName}" not found in the pod`);
      value = resourceValue(ref, c, facts.allocatable);
    }
    return { path: item.path, content: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode };
  });
}

function dataOf(config: ConfigObjects, pod: Pod, src: Source): ConfigData | undefined {
  const table = src.kind === 'configmap' ? config.configMaps : config.secrets;
  return table[objectKey(pod.metadata.namespace, src.name)];
}

/** Every file of a payload volume, later sources winning a path (pure). */
export function volumePayload(pod: Pod, v: Volume, config: ConfigObjects, facts: DownwardFacts): PayloadFile[] {
  if (v.downwardAPI) return downwardPayload(v.name, v.downwardAPI.items, v.downwardAPI.defaultMode, facts);
  if (!v.projected) {
    const src = nth(configSources(v), 0); // a configMap or secret volume is its own one source
    return configPayload(v.name, src, dataOf(config, pod, src));
  }
  const byPath = new Map<string, PayloadFile>();
  for (const p of v.projected.sources) {
    const src = projectionSource(p, v.projected.defaultMode);
    const files = src
      ? configPayload(v.name, src, dataOf(config, pod, src))
      : downwardPayload(v.name, p.downwardAPI?.items ?? [], v.projected.defaultMode, facts);
    for (const f of files) byPath.set(f.path, f);
  }
  return [...byPath.values()];
}

/** Every configMap/secret reference of the pod's volumes, checked before anything is made (errors first). */
export function checkConfigVolumes(pod: Pod, config: ConfigObjects): void {
  for (const v of pod.spec.volumes)
    for (const src of configSources(v)) configPayload(v.name, src, dataOf(config, pod, src));
}

/** What writing a payload volume (and preparing any volume, volumes.ts) needs of the pod being built. */
export interface PayloadVolumeContext {
  host: Host;
  layout: PodLayout;
  /**
   * persist a host mount point in the pod's ledger before mounting it: the volume's undo unmounts
   * what it recorded (runtime/ledger.ts), so every mount a volume makes must be recorded here
   */
  recordMount: (target: string) => Promise<void>;
  explain: (line: string) => void;
  /** the ConfigMaps and Secrets the pod's configMap/secret volumes read */
  config: ConfigObjects;
  /** what downwardAPI files read about the pod (no addresses yet: the network comes later) */
  downward: DownwardFacts;
}

/** Makes one payload volume; `owner.gid` is the pod's fsGroup when it has one. */
export async function makePayloadVolume(
  ctx: PayloadVolumeContext,
  pod: Pod,
  v: Volume,
  owner: WriteOwner = {},
): Promise<void> {
  const files = volumePayload(pod, v, ctx.config, ctx.downward);
  const dir = ctx.layout.volume(v.name);
  await ctx.host.mkdir(dir, 0o777);
  const tmpfs = payloadOnTmpfs(v);
  if (tmpfs) {
    // Before the first byte is written: a secret's files exist only in memory.
    await ctx.recordMount(dir);
    ctx.host.mount('tmpfs', dir, 'tmpfs', ['NOSUID', 'NODEV', 'NOEXEC'], 'mode=0777');
  }
  const ts = await writeAtomic(dir, files, owner);
  const what = v.configMap
    ? `configmap "${v.configMap.name}"`
    : v.secret
      ? `secret "${v.secret.secretName}"`
      : v.downwardAPI
        ? 'downwardAPI'
        : `projected (${v.projected!.sources.length} sources)`;
  ctx.explain(
    `volume "${v.name}": ${what}, ${files.length} file(s) in ${dir}/${ts} behind ..data${tmpfs ? ', on a tmpfs' : ''}`,
  );
}

/** The objects a pod refers to (volumes, env, envFrom, imagePullSecrets), so nothing else travels with it. */
export function referencedConfig(pod: Pod, all: ConfigObjects): ConfigObjects {
  const ns = pod.metadata.namespace;
  const out: ConfigObjects = { configMaps: {}, secrets: {} };
  const pick = (kind: 'configMaps' | 'secrets', name: string) => {
    const k = objectKey(ns, name);
    const found = all[kind][k];
    if (found) out[kind][k] = found;
    const type = kind === 'secrets' && out.secrets[k] ? all.secretTypes?.[k] : undefined;
    if (type) (out.secretTypes ??= {})[k] = type;
  };
  for (const s of pod.spec.imagePullSecrets ?? []) if (s.name) pick('secrets', s.name);
  for (const v of pod.spec.volumes)
    for (const s of configSources(v)) pick(s.kind === 'configmap' ? 'configMaps' : 'secrets', s.name);
  for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
    for (const e of c.env) {
      if (e.valueFrom?.configMapKeyRef) pick('configMaps', e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef) pick('secrets', e.valueFrom.secretKeyRef.name);
    }
    for (const f of c.envFrom) {
      if (f.configMapRef) pick('configMaps', f.configMapRef.name);
      if (f.secretRef) pick('secrets', f.secretRef.name);
    }
  }
  return out;
}
