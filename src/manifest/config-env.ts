/**
 * Environment variables from ConfigMaps and Secrets, with the kubelet's rules
 * (pkg/kubelet/kubelet_pods.go, makeEnvironmentVariables):
 *
 * - `envFrom` comes first, in order: every key of the object, with `prefix` in front; a result
 *   that is not a valid variable name is skipped and reported (the kubelet's
 *   `InvalidEnvironmentVariableNames` event), never fatal. `env` entries then override them.
 * - `configMapKeyRef` / `secretKeyRef` read one key; their values are never `$(VAR)`-expanded.
 * - a missing object or key is an error (the kubelet's `CreateContainerConfigError`) unless the
 *   reference is `optional`, in which case the variable (or the whole `envFrom` entry) is left out.
 */
import { objectKey, type ConfigObjects } from './config-objects.js';
import { envVarName } from './names.js';
import type { Container, EnvVarSource } from './types.js';

type Kind = 'ConfigMap' | 'Secret';

/**
 * A reference that cannot be resolved; `detail` says it in the kubelet's words (`couldn't find key
 * k in ConfigMap default/cm`, `configmap "cm" not found`), the container's waiting message.
 */
export class ConfigRefError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

function lookup(config: ConfigObjects, kind: Kind, namespace: string, name: string) {
  return (kind === 'ConfigMap' ? config.configMaps : config.secrets)[objectKey(namespace, name)];
}

const text = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

/** `envFrom` of a container: the variables, and the keys skipped as invalid names. */
export function envFromVars(
  c: Container,
  config: ConfigObjects,
  namespace: string,
): { vars: [string, string][]; skipped: string[] } {
  const vars: [string, string][] = [];
  const skipped: string[] = [];
  for (const src of c.envFrom) {
    const kind: Kind = src.configMapRef ? 'ConfigMap' : 'Secret';
    const ref = (src.configMapRef ?? src.secretRef)!;
    const data = lookup(config, kind, namespace, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ConfigRefError(
        `container "${c.name}": envFrom: ${kind.toLowerCase()} "${ref.name}" not found in namespace "${namespace}"`,
        `${kind.toLowerCase()} "${ref.name}" not found`,
      );
    }
    const bad: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      const name = (src.prefix ?? '') + key;
      if (envVarName(name)) bad.push(name);
      else vars.push([name, text(value)]);
    }
    if (bad.length > 0)
      skipped.push(
        `keys [${bad.join(', ')}] from the EnvFrom ${kind.toLowerCase()} ${namespace}/${ref.name} ` +
          `were skipped since they are considered invalid environment variable names`,
      );
  }
  return { vars, skipped };
}

/** The value of a `configMapKeyRef` / `secretKeyRef`, or undefined when an optional one is missing. */
export function keyRefValue(
  c: Container,
  source: EnvVarSource,
  config: ConfigObjects,
  namespace: string,
): string | undefined {
  const kind: Kind = source.configMapKeyRef ? 'ConfigMap' : 'Secret';
  const ref = (source.configMapKeyRef ?? source.secretKeyRef)!;
  const data = lookup(config, kind, namespace, ref.name);
  if (!data) {
    if (ref.optional) return undefined;
    throw new ConfigRefError(
      `container "${c.name}": ${kind.toLowerCase()} "${ref.name}" not found in namespace "${namespace}"`,
      `${kind.toLowerCase()} "${ref.name}" not found`,
    );
  }
  const value = data[ref.key];
  if (value === undefined) {
    if (ref.optional) return undefined;
    const detail = `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`;
    throw new ConfigRefError(`container "${c.name}": ${detail}`, detail);
  }
  return text(value);
}

/**
 * Every ConfigMap/Secret reference of the pod's env, checked before anything is made; returns the
 * warnings. A reference that cannot be resolved is one of them, not a refusal: as on a node, the
 * pod runs and that container waits in `CreateContainerConfigError` (supervisor/config-error.ts).
 */
export function checkEnvRefs(
  pod: { spec: { initContainers: Container[]; containers: Container[] }; metadata: { namespace: string } },
  config: ConfigObjects,
): string[] {
  const warnings: string[] = [];
  const unresolved = (c: Container, err: unknown) => {
    if (!(err instanceof ConfigRefError)) throw err;
    warnings.push(`${err.message}: the container will wait in CreateContainerConfigError`);
  };
  for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
    try {
      warnings.push(
        ...envFromVars(c, config, pod.metadata.namespace).skipped.map((s) => `container "${c.name}": ${s}`),
      );
    } catch (err) {
      unresolved(c, err);
    }
    for (const e of c.env) {
      if (!e.valueFrom?.configMapKeyRef && !e.valueFrom?.secretKeyRef) continue;
      try {
        keyRefValue(c, e.valueFrom, config, pod.metadata.namespace);
      } catch (err) {
        unresolved(c, err);
      }
    }
  }
  return warnings;
}
