/**
 * What a container runs: its argument vector, environment and working directory, from the manifest
 * and the image's configuration, as the kubelet and containerd compute them.
 *
 * Command and arguments (the four cases of the Kubernetes documentation):
 *
 * | manifest             | runs                                 |
 * | -------------------- | ------------------------------------ |
 * | neither              | image ENTRYPOINT + image CMD         |
 * | `command` only       | `command` (the image CMD is dropped) |
 * | `args` only          | image ENTRYPOINT + `args`            |
 * | `command` and `args` | `command` + `args`                   |
 *
 * An empty list counts as absent, as in Kubernetes.
 *
 * Environment: `envFrom` first, then the manifest's `env` in order (config-env.ts for the
 * ConfigMap and Secret references), each `value` expanded with `$(NAME)`
 * from the entries *before* it (never from the image's Env), each `fieldRef` and `resourceFieldRef` read from
 * the pod's facts (downward.ts). `command` and `args` are then expanded with the resolved list. The process
 * gets, in this order and deduplicated by name with the later value kept in the earlier place (containerd's
 * rule): a default `PATH`, the image's `Env`, the manifest's `env`. `HOSTNAME` is not added here.
 *
 * Working directory: `workingDir`, else the image's WorkingDir, else `/`. Creating it when it is
 * missing is the runtime's part, inside the container's root.
 */
import { ConfigRefError, envFromVars, keyRefValue } from './config-env.js';
import { noConfig, type ConfigObjects } from './config-objects.js';
import { expandVars } from './expand.js';
import { fieldValue, resourceValue } from './downward.js';
import type { Container, DownwardFacts, EnvVarSource, ImageConfig, ProcessSpec } from './types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function resolveProcess(
  container: Container,
  image: ImageConfig,
  facts: DownwardFacts,
  config: ConfigObjects = noConfig(),
): ProcessSpec {
  const own = containerEnv(container, facts, config);
  const argv = resolveArgv(container, image, (name) => own.get(name));
  if (argv.length === 0) {
    throw new Error(
      `container "${container.name}" has no command: the manifest sets neither command nor args, ` +
        'and the image has no Entrypoint or Cmd',
    );
  }
  const env = mergeEnv([`PATH=${DEFAULT_PATH}`, ...(image.Env ?? []), ...[...own].map(([k, v]) => `${k}=${v}`)]);
  refuseNul(container, argv, env);
  return { argv, env, workingDir: container.workingDir || image.WorkingDir || '/' };
}

/**
 * execve reads each string up to its first NUL: a value with one (a Secret's binary key, a `$(VAR)`
 * of it) would run truncated. runc's exec refuses it (EINVAL); here the container cannot be made,
 * as for a reference that cannot be resolved, naming the variable or argument. (The manifest's own
 * strings are refused when it is validated: checks.ts execString.)
 */
function refuseNul(container: Container, argv: string[], env: string[]): void {
  const arg = argv.findIndex((a) => a.includes('\0'));
  const entry = env.find((e) => e.includes('\0'));
  if (arg < 0 && entry === undefined) return;
  const what =
    arg >= 0 ? `argument ${arg} of the command` : `environment variable ${entry?.slice(0, entry.indexOf('='))}`;
  const detail = `${what} contains a NUL character, which execve cannot pass`;
  throw new ConfigRefError(`container "${container.name}": ${detail}`, detail);
}

/** The four command/args cases; only what comes from the manifest is expanded. */
function resolveArgv(container: Container, image: ImageConfig, lookup: (name: string) => string | undefined): string[] {
  const expand = (list: string[]) => list.map((s) => expandVars(s, lookup));
  const command = container.command ?? [];
  const args = container.args ?? [];
  if (command.length > 0) return [...expand(command), ...expand(args)];
  return [...(image.Entrypoint ?? []), ...(args.length > 0 ? expand(args) : (image.Cmd ?? []))];
}

/** The manifest's env in order, later entries replacing earlier ones of the same name. */
export function containerEnv(container: Container, facts: DownwardFacts, config: ConfigObjects): Map<string, string> {
  const env = new Map<string, string>(envFromVars(container, config, facts.namespace).vars);
  for (const v of container.env) {
    const from = v.valueFrom;
    let value: string | undefined;
    if (from?.fieldRef) value = fieldValue(from.fieldRef.fieldPath, facts);
    else if (from?.resourceFieldRef) value = resourceOf(container, from, facts);
    else if (from) value = keyRefValue(container, from, config, facts.namespace);
    else value = expandVars(v.value ?? '', (name) => env.get(name));
    if (value !== undefined) env.set(v.name, value);
  }
  return env;
}

/** A resourceFieldRef's container: the one it names, else the reader. */
function resourceOf(container: Container, source: EnvVarSource, facts: DownwardFacts): string {
  const ref = source.resourceFieldRef!;
  const named = ref.containerName ? facts.containers?.find((c) => c.name === ref.containerName) : container;
  if (!named)
    throw new Error(
      `container "${container.name}": env resourceFieldRef: container "${ref.containerName}" not found in the pod`,
    );
  if (!facts.allocatable) throw new Error("resourceFieldRef needs the node's allocatable resources");
  return resourceValue(ref, named, facts.allocatable);
}

/** `KEY=value` entries deduplicated by key: first position, last value (containerd's rule). */
export function mergeEnv(entries: string[]): string[] {
  const merged = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    merged.set(entry.slice(0, eq), entry);
  }
  return [...merged.values()];
}

/**
 * A mount's subPath: `subPath`, or `subPathExpr` with `$(VAR)` expanded from the container's own
 * variables (the manifest's env and envFrom, never the image's), as the kubelet expands it. The
 * result must stay a relative path without `..`, or the container cannot start.
 */
export function mountSubPath(
  container: Container,
  m: { name: string; subPath?: string; subPathExpr?: string },
  env: Map<string, string>,
): string | undefined {
  if (!m.subPathExpr) return m.subPath || undefined;
  const expanded = expandVars(m.subPathExpr, (name) => env.get(name));
  if (expanded.startsWith('/') || expanded.split('/').includes('..')) {
    const detail =
      `subPathExpr "${m.subPathExpr}" of volume "${m.name}" expands to "${expanded}", ` +
      `which must be a relative path without '..'`;

    throw new ConfigRefError(`container "${container.name}": ${detail}`, detail);
  }
  return expanded || undefined;
}
