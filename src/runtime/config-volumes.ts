/**
 * configMap and secret volumes: the object's keys as files, written with the atomic writer.
 *
 * Which files (the kubelet's MakePayload): without `items`, every key, mode `defaultMode`; with
 * `items`, only those keys, each at its `path`, mode `mode` or else `defaultMode`. A missing
 * object or item key fails the pod unless the volume is `optional` (then the volume is empty, or
 * the key left out). A secret volume lives on a tmpfs of its own, so its bytes never reach a
 * disk; a configMap volume is a directory under the pod's data. Both are mounted read-only into
 * the containers, as the kubelet mounts them.
 */
import { objectKey, type ConfigData, type ConfigObjects } from '../manifest/config-objects.js';
import type { ConfigMapVolumeSource, Pod, SecretVolumeSource, Volume } from '../manifest/types.js';
import { writeAtomic, type PayloadFile, type WriteOwner } from './atomic-writer.js';
import type { PodLayout } from '../layout.js';
import type { Host } from './host.js';
import type { Undo } from './undo.js';

type Source = { kind: 'configmap' | 'secret'; name: string; spec: ConfigMapVolumeSource | SecretVolumeSource };

export function configSource(v: Volume): Source | undefined {
  if (v.configMap) return { kind: 'configmap', name: v.configMap.name, spec: v.configMap };
  if (v.secret) return { kind: 'secret', name: v.secret.secretName, spec: v.secret };
  return undefined;
}

/** The files of a configMap or secret volume (pure). */
export function configPayload(volume: string, src: Source, data: ConfigData | undefined): PayloadFile[] {
  const where = `volume "${volume}": ${src.kind} "${src.name}"`;
  if (!data) {
    if (src.spec.optional) return [];
    throw new Error(`${where} not found`);
  }
  const file = (key: string, path: string, mode: number): PayloadFile => ({ path, content: Buffer.from(data[key]!, 'base64'), mode });
  if (!src.spec.items?.length) return Object.keys(data).sort().map((k) => file(k, k, src.spec.defaultMode));
  const out: PayloadFile[] = [];
  for (const item of src.spec.items) {
    if (data[item.key] === undefined) {
      if (src.spec.optional) continue;
      throw new Error(`${where} references non-existent config key: ${item.key}`);
    }
    out.push(file(item.key, item.path, item.mode ?? src.spec.defaultMode));
  }
  return out;
}

function dataOf(config: ConfigObjects, pod: Pod, src: Source): ConfigData | undefined {
  const table = src.kind === 'configmap' ? config.configMaps : config.secrets;
  return table[objectKey(pod.metadata.namespace, src.name)];
}

/** Every payload of the pod's config volumes, computed before anything is made (errors first). */
export function checkConfigVolumes(pod: Pod, config: ConfigObjects): void {
  for (const v of pod.spec.volumes) {
    const src = configSource(v);
    if (src) configPayload(v.name, src, dataOf(config, pod, src));
  }
}

/** Makes one configMap or secret volume; `owner.gid` is the pod's fsGroup when it has one. */
/** What writing a config volume needs of the pod being built (volumes.ts's VolumeContext has it). */
export interface ConfigVolumeContext {
  host: Host;
  layout: PodLayout;
  undo: Undo;
  recordMount: (target: string) => Promise<void>;
  explain: (line: string) => void;
}

export async function makeConfigVolume(ctx: ConfigVolumeContext, pod: Pod, v: Volume, config: ConfigObjects, owner: WriteOwner = {}): Promise<void> {
  const src = configSource(v)!;
  const files = configPayload(v.name, src, dataOf(config, pod, src));
  const dir = ctx.layout.volume(v.name);
  await ctx.host.mkdir(dir, 0o777);
  if (src.kind === 'secret') {
    // Before the first byte is written: a secret's files exist only in memory.
    await ctx.recordMount(dir);
    ctx.host.mount('tmpfs', dir, 'tmpfs', ['NOSUID', 'NODEV', 'NOEXEC'], 'mode=0777');
    ctx.undo.push(`unmount secret volume "${v.name}"`, () => ctx.host.umount(dir));
  }
  const ts = await writeAtomic(dir, files, owner);
  ctx.explain(`volume "${v.name}": ${src.kind} "${src.name}", ${files.length} file(s) in ${dir}/${ts} behind ..data${src.kind === 'secret' ? ', on a tmpfs' : ''}`);
}

/** The objects a pod refers to (volumes, env, envFrom), so nothing else travels with it. */
export function referencedConfig(pod: Pod, all: ConfigObjects): ConfigObjects {
  const ns = pod.metadata.namespace;
  const out: ConfigObjects = { configMaps: {}, secrets: {} };
  const pick = (kind: 'configMaps' | 'secrets', name: string) => {
    const k = objectKey(ns, name);
    if (all[kind][k]) out[kind][k] = all[kind][k]!;
  };
  for (const v of pod.spec.volumes) {
    if (v.configMap) pick('configMaps', v.configMap.name);
    if (v.secret) pick('secrets', v.secret.secretName);
  }
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
