/**
 * A pod's `imagePullSecrets`: registry credentials the pod brings for its own pulls.
 *
 * Each entry names a Secret in the pod's namespace. On a node the kubelet fetches them from the
 * API server; here they come from the run's files (beside the pod, or `--secret FILE`). A Secret
 * of type `kubernetes.io/dockerconfigjson` holds a docker `config.json` under `.dockerconfigjson`
 * (`{"auths": {KEY: {...}}}`); the legacy `kubernetes.io/dockercfg` holds the older `~/.dockercfg`
 * under `.dockercfg` (the `auths` map itself, without the wrapper). Secrets of any other type are
 * not credentials and are passed over, as the kubelet passes them over; an entry without a name is
 * skipped. A named Secret that is not in the files does not stop the pod: the kubelet warns
 * (`FailedToRetrieveImagePullSecret`) and pulls with what it has, so does tspod.
 *
 * The pod's credentials are tried before the host's (credentials.ts), and a refused one gives way
 * to the next, as the kubelet's keyring unites the pod's secrets with the node's config.
 */
import { DOCKER_SECRET_KEYS, objectKey, type ConfigObjects } from '../manifest/config-objects.js';
import type { Pod } from '../manifest/types.js';
import type { AuthEntry, CredentialSources } from './credentials.js';

export interface PodCredentials {
  sources: CredentialSources;
  /** names of Secrets the pod lists that the files do not carry */
  missing: string[];
}

export function podCredentialSources(pod: Pod, config: ConfigObjects): PodCredentials {
  const ns = pod.metadata.namespace;
  const sources: CredentialSources = [];
  const missing: string[] = [];
  for (const { name } of pod.spec.imagePullSecrets ?? []) {
    if (!name) continue;
    const key = objectKey(ns, name);
    const data = config.secrets[key];
    if (!data) {
      missing.push(name);
      continue;
    }
    const type = config.secretTypes?.[key] ?? '';
    const dataKey = DOCKER_SECRET_KEYS[type];
    const value = dataKey ? data[dataKey] : undefined;
    if (!dataKey || value === undefined) continue;
    const from = `secret "${key}"`;
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    } catch (cause) {
      throw new Error(`imagePullSecrets: ${from}: data[${dataKey}] is not valid JSON`, { cause });
    }
    const auths = type === 'kubernetes.io/dockercfg' ? doc : (doc as { auths?: unknown })?.auths;
    if (auths === undefined) continue;
    if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) {
      throw new Error(
        `imagePullSecrets: ${from}: data[${dataKey}]${dataKey === '.dockerconfigjson' ? '.auths' : ''} ` +
          'must be an object of registry keys',
      );
    }
    sources.push({ config: { auths: auths as Record<string, AuthEntry> }, from });
  }
  return { sources, missing };
}

/** The kubelet's event message for Secrets it could not get. */
export function missingSecretsMessage(missing: string[]): string {
  return (
    `Unable to retrieve some image pull secrets (${missing.join(', ')}); ` +
    'attempting to pull the image may not succeed.'
  );
}
