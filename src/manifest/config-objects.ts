/**
 * ConfigMaps and Secrets: the configuration a pod reads by name, as files of a volume or as
 * environment variables.
 *
 * On a node the kubelet fetches them from the API server; here they come from the files given to
 * `tspod run` (beside the pods, or with `--configmap`/`--secret`) and are looked up by name in the
 * pod's namespace. A ConfigMap's `data` is text and `binaryData` base64; a Secret's `data` is
 * base64 and `stringData` text that wins over `data` for the same key (the API server merges them
 * so). Values are kept as bytes (base64 strings, so they cross JSON to a detached supervisor).
 */
import { ManifestError, type Issue } from './errors.js';
import { configKey } from './config-checks.js';
import { dnsSubdomain } from './names.js';
import { bool, map, obj, str } from './schema.js';
import { metadata } from './supported.js';
import { isPlainObject, walk, type WalkContext } from './walk.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64 = (s: string) => (BASE64.test(s) && s.length % 4 === 0 ? undefined : 'is not valid base64');

const CONFIGMAP = obj({
  apiVersion: str({ required: true, values: ['v1'] }),
  kind: str({ required: true, values: ['ConfigMap'] }),
  metadata: { ...metadata, required: true },
  data: map(configKey),
  binaryData: map(configKey, { value: base64 }),
  immutable: bool(),
});

const SECRET = obj({
  apiVersion: str({ required: true, values: ['v1'] }),
  kind: str({ required: true, values: ['Secret'] }),
  metadata: { ...metadata, required: true },
  type: str(),
  data: map(configKey, { value: base64 }),
  stringData: map(configKey),
  immutable: bool(),
});

/** One ConfigMap's or Secret's keys, each value base64. */
export type ConfigData = Record<string, string>;

/** ConfigMaps and Secrets by `namespace/name`. */
export interface ConfigObjects {
  configMaps: Record<string, ConfigData>;
  secrets: Record<string, ConfigData>;
  /** each Secret's `type`, when it has one (`kubernetes.io/dockerconfigjson` for pull secrets) */
  secretTypes?: Record<string, string>;
}

/** The Secret types that carry registry credentials, and the key each keeps them under. */
export const DOCKER_SECRET_KEYS: Record<string, string> = {
  'kubernetes.io/dockerconfigjson': '.dockerconfigjson',
  'kubernetes.io/dockercfg': '.dockercfg',
};

export const noConfig = (): ConfigObjects => ({ configMaps: {}, secrets: {} });
export const objectKey = (namespace: string, name: string) => `${namespace}/${name}`;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Validates a ConfigMap or Secret object; `where` prefixes the paths of its issues. */
export function readConfigObject(
  value: unknown,
  where: string,
): { kind: 'ConfigMap' | 'Secret'; key: string; data: ConfigData; type?: string } {
  const kind = isPlainObject(value) && value.kind === 'Secret' ? 'Secret' : 'ConfigMap';
  const ctx: WalkContext = { issues: [], warnings: [], ignoreUnsupported: false };
  const o = walk(kind === 'Secret' ? SECRET : CONFIGMAP, value, '', ctx) as
    Record<string, Record<string, string>> | undefined;
  const issues: Issue[] = [...ctx.issues];
  const data: ConfigData = {};
  if (o && isPlainObject(o)) {
    const text = kind === 'ConfigMap' ? o.data : o.stringData;
    const bytes = kind === 'ConfigMap' ? o.binaryData : o.data;
    for (const [k, v] of Object.entries(bytes ?? {})) data[k] = v;
    for (const [k, v] of Object.entries(text ?? {})) {
      if (kind === 'ConfigMap' && k in data)
        issues.push({ path: `data[${k}]`, message: 'duplicate of a key in binaryData' });
      data[k] = b64(v);
    }
  }
  const meta = (o?.metadata ?? {}) as unknown as { name?: string; namespace?: string };
  if (meta.name && dnsSubdomain(meta.name)) issues.push({ path: 'metadata.name', message: dnsSubdomain(meta.name)! });
  const type = kind === 'Secret' && typeof o?.type === 'string' ? (o.type as unknown as string) : undefined;
  if (type) issues.push(...typedSecretIssues(type, data));
  if (issues.length > 0)
    throw new ManifestError(issues.map((i) => ({ path: `${where}: ${i.path || '(root)'}`, message: i.message })));
  return { kind, key: objectKey(meta.namespace || 'default', meta.name!), data, ...(type ? { type } : {}) };
}

/** What the API server requires of a docker-config Secret: its key present, holding a JSON object. */
function typedSecretIssues(type: string, data: ConfigData): Issue[] {
  const key = DOCKER_SECRET_KEYS[type];
  if (!key) return [];
  const value = data[key];
  if (value === undefined)
    return [
      {
        path: `data[${key}]`,
        message: `required: a Secret of type ${type} keeps its registry credentials under this key`,
      },
    ];
  try {
    const doc: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    if (!isPlainObject(doc)) throw new Error('not a JSON object');
  } catch (err) {
    return [{ path: `data[${key}]`, message: `invalid value "<secret contents redacted>": ${(err as Error).message}` }];
  }
  return [];
}

/** Adds an object, refusing a second one of the same kind, namespace and name. */
export function addConfigObject(all: ConfigObjects, obj: ReturnType<typeof readConfigObject>, where: string): void {
  const table = obj.kind === 'ConfigMap' ? all.configMaps : all.secrets;
  if (obj.key in table) {
    throw new ManifestError([{ path: where, message: `${obj.kind} "${obj.key}" is defined twice` }]);
  }
  table[obj.key] = obj.data;
  if (obj.kind === 'Secret' && obj.type) (all.secretTypes ??= {})[obj.key] = obj.type;
}
