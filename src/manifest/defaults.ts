/**
 * The defaults the Kubernetes API server writes into a Pod when it is created, so that the spec tspod
 * runs (and `tspod inspect` shows) is the one a cluster would run.
 *
 * From the API server's defaulting: `restartPolicy: Always`, `terminationGracePeriodSeconds: 30`,
 * `dnsPolicy: ClusterFirst`, `enableServiceLinks: true`, an empty pod `securityContext`; per
 * container `terminationMessagePath: /dev/termination-log`, `terminationMessagePolicy: File`, the
 * pull policy from the image reference (`Always` for `:latest` or no tag, else `IfNotPresent`),
 * each port's `protocol: TCP` (and `hostPort` = `containerPort` on the host network), a `fieldRef`'s
 * `apiVersion: v1`, a request equal to the limit for a resource with a limit and no request, a
 * hostPath's `type: ""`. From admission: `serviceAccountName: default` and `namespace: default`.
 * tspod adds only explicit `false` for the namespace booleans and `[]` for absent lists.
 *
 * Input is the cleaned tree from the walk: every field present has the right type, but required
 * fields may be missing when there were issues, so nothing here assumes they are there.
 */
import type {
  Container,
  ContainerPort,
  EnvVar,
  Lifecycle,
  ObjectMeta,
  Pod,
  PodSpec,
  Probe,
  PullPolicy,
  ResourceRequirements,
  Volume,
} from './types.js';
import { dottedSysctl } from './security.js';

// The walk guarantees types, not presence: defaults read the cleaned tree through this loose view.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- that loose view is the point
type Loose = Record<string, any>;

export function applyDefaults(raw: Loose): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: defaultMetadata(raw.metadata ?? {}),
    spec: defaultSpec(raw.spec ?? {}),
  };
}

function defaultMetadata(m: Loose): ObjectMeta {
  return { ...m, name: m.name, namespace: m.namespace || 'default' } as ObjectMeta;
}

function defaultSpec(s: Loose): PodSpec {
  const hostNetwork: boolean = s.hostNetwork ?? false;
  const serviceAccount: string = s.serviceAccountName || s.serviceAccount || 'default';
  return {
    ...s,
    containers: (s.containers ?? []).map((c: Loose) => defaultContainer(c, hostNetwork)),
    initContainers: (s.initContainers ?? []).map((c: Loose) => defaultContainer(c, hostNetwork)),
    volumes: (s.volumes ?? []).map(defaultVolume),
    restartPolicy: s.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: s.terminationGracePeriodSeconds ?? 30,
    hostNetwork,
    hostPID: s.hostPID ?? false,
    hostIPC: s.hostIPC ?? false,
    shareProcessNamespace: s.shareProcessNamespace ?? false,
    hostAliases: s.hostAliases ?? [],
    dnsPolicy: s.dnsPolicy ?? 'ClusterFirst',
    serviceAccountName: serviceAccount,
    serviceAccount,
    enableServiceLinks: s.enableServiceLinks ?? true,
    securityContext: defaultPodSecurity(s.securityContext ?? {}),
    ...(s.resources ? { resources: defaultResources(s.resources) } : {}),
  };
}

/* Sysctl names in the `/` spelling mean the dotted name: the spec as run says it with dots. */
function defaultPodSecurity(sc: Loose): Loose {
  if (!Array.isArray(sc.sysctls)) return sc;
  return {
    ...sc,
    sysctls: sc.sysctls.map((x: Loose) => (typeof x?.name === 'string' ? { ...x, name: dottedSysctl(x.name) } : x)),
  };
}

function defaultContainer(c: Loose, hostNetwork: boolean): Container {
  return {
    ...c,
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image ?? ''),
    env: (c.env ?? []).map(defaultEnvVar),
    envFrom: c.envFrom ?? [],
    ports: (c.ports ?? []).map((p: Loose) => defaultPort(p, hostNetwork)),
    volumeMounts: c.volumeMounts ?? [],
    resources: defaultResources(c.resources ?? {}),
    terminationMessagePath: c.terminationMessagePath || '/dev/termination-log',
    terminationMessagePolicy: c.terminationMessagePolicy ?? 'File',
    ...(c.lifecycle ? { lifecycle: defaultLifecycle(c.lifecycle) } : {}),
    ...Object.fromEntries(PROBES.filter((k) => c[k]).map((k) => [k, defaultProbe(c[k])])),
  };
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/** The probe defaults of the API server: 0 s delay, every 10 s, 1 s timeout, 1 success, 3 failures. */
function defaultProbe(p: Loose): Probe {
  return {
    ...defaultHandler(p),
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    periodSeconds: p.periodSeconds ?? 10,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  } as Probe;
}

/** An httpGet gets `path: /` and `scheme: HTTP`, a grpc check `service: ""`. */
function defaultHandler<T extends Loose>(h: T): T {
  const out: Loose = { ...h };
  if (h.httpGet) out.httpGet = { ...h.httpGet, path: h.httpGet.path || '/', scheme: h.httpGet.scheme ?? 'HTTP' };
  if (h.grpc) out.grpc = { ...h.grpc, service: h.grpc.service ?? '' };
  return out as T;
}

function defaultLifecycle(l: Loose): Lifecycle {
  const out: Loose = { ...l };
  for (const k of ['postStart', 'preStop']) if (l[k]) out[k] = defaultHandler(l[k]);
  return out as Lifecycle;
}

/**
 * `Always` when the image's tag is `latest`, or it names neither a tag nor a digest; else
 * `IfNotPresent`. As the API server reads it (ParseImageName), a digest does not hide the tag:
 * `name:latest@sha256:...` is `Always`, `name@sha256:...` is `IfNotPresent`. A tag follows the
 * last `:` after the last `/` (a `:` before a `/` is a registry's port).
 */
export function defaultPullPolicy(image: string): PullPolicy {
  const at = image.indexOf('@');
  const named = at >= 0 ? image.slice(0, at) : image;
  const lastPart = named.slice(named.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon >= 0 ? lastPart.slice(colon + 1) : at >= 0 ? undefined : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultEnvVar(e: Loose): EnvVar {
  const fieldRef = e.valueFrom?.fieldRef;
  if (!fieldRef) return e as EnvVar;
  return {
    ...e,
    valueFrom: { ...e.valueFrom, fieldRef: { ...fieldRef, apiVersion: fieldRef.apiVersion ?? 'v1' } },
  } as EnvVar;
}

/** `hostPort: 0` means no host port, and is dropped (the API server omits a zero). */
function defaultPort(p: Loose, hostNetwork: boolean): ContainerPort {
  const { hostPort, ...rest } = p;
  const port = { ...rest, protocol: p.protocol ?? 'TCP' } as ContainerPort;
  const effective = hostNetwork && !hostPort ? p.containerPort : hostPort;
  if (effective) port.hostPort = effective;
  return port;
}

function defaultResources(r: Loose): ResourceRequirements {
  if (!r.limits || Object.keys(r.limits).length === 0) return { ...r };
  return { ...r, requests: { ...r.limits, ...(r.requests ?? {}) } };
}

/** 0644 (420), as the API server defaults configMap and secret volumes. */
export const DEFAULT_CONFIG_MODE = 0o644;

/** A downwardAPI volume (with its defaultMode) or projection (`projection`: the mode is the volume's). */
function defaultDownward(d: Loose, projection = false): Loose {
  const items = (d.items ?? []).map((i: Loose) =>
    i.fieldRef ? { ...i, fieldRef: { ...i.fieldRef, apiVersion: i.fieldRef.apiVersion ?? 'v1' } } : i,
  );
  return projection ? { ...d, items } : { ...d, items, defaultMode: d.defaultMode ?? DEFAULT_CONFIG_MODE };
}

function defaultVolume(v: Loose): Volume {
  if (v.configMap)
    return {
      ...v,
      configMap: { ...v.configMap, defaultMode: v.configMap.defaultMode ?? DEFAULT_CONFIG_MODE },
    } as Volume;
  if (v.secret)
    return { ...v, secret: { ...v.secret, defaultMode: v.secret.defaultMode ?? DEFAULT_CONFIG_MODE } } as Volume;
  if (v.downwardAPI) return { ...v, downwardAPI: defaultDownward(v.downwardAPI) } as Volume;
  if (v.projected) {
    const sources = (v.projected.sources ?? []).map((p: Loose) =>
      p.downwardAPI ? { ...p, downwardAPI: defaultDownward(p.downwardAPI, true) } : p,
    );
    return {
      ...v,
      projected: { ...v.projected, sources, defaultMode: v.projected.defaultMode ?? DEFAULT_CONFIG_MODE },
    } as Volume;
  }
  // An image volume's policy is defaulted from its reference, as a container image's is.
  if (v.image)
    return {
      ...v,
      image: { ...v.image, pullPolicy: v.image.pullPolicy ?? defaultPullPolicy(v.image.reference ?? '') },
    } as Volume;
  if (!v.hostPath) return v as Volume;
  return { ...v, hostPath: { ...v.hostPath, type: v.hostPath.type ?? '' } } as Volume;
}
