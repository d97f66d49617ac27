/**
 * Rules across the whole pod, checked on the defaulted spec: names that must be unique, references
 * that must resolve, and combinations that Kubernetes refuses.
 *
 * - Container names are unique across init and app containers (they share the log and status
 *   namespace); volume names are unique; every `volumeMounts[].name` names a volume; a container
 *   mounts at most one volume at a path; port names are unique in a container.
 * - Host ports: two containers running at the same time cannot bind the same host address, port and
 *   protocol. Init containers run alone, so they are checked among themselves. On the host network a
 *   port *is* a host port, so `hostPort` must equal `containerPort`.
 * - `shareProcessNamespace` and `hostPID` contradict each other; so do namespaced sysctls and the
 *   host's namespaces (`net.*` with `hostNetwork`, `kernel.shm_rmid_forced` with `hostIPC`).
 * - `dnsPolicy: None` needs at least one nameserver in `dnsConfig`.
 * - `runAsNonRoot: true` with `runAsUser: 0` can never start (the kubelet refuses it at start-up;
 *   tspod says so before anything is created).
 * - `hostUsers: false` with a host namespace, and `procMount: Unmasked` without `hostUsers: false`
 *   (user-namespace.ts).
 * - The old seccomp annotations carry a known value and agree with the fields (seccomp.ts); so do
 *   the AppArmor annotations (apparmor.ts).
 */
import { execveOverflow } from './bounds.js';
import { fieldPath, indexPath, type Issue } from './errors.js';
import { appArmorAnnotationIssues } from './apparmor.js';
import { podResourceIssues } from './pod-resources.js';
import { seccompAnnotationIssues } from './seccomp.js';
import { userNamespaceIssues } from './user-namespace.js';
import { volumeRules } from './volume-rules.js';
import type { Container, Pod } from './types.js';

interface Located {
  container: Container;
  path: string;
}

export function checkPod(pod: Pod): Issue[] {
  const init = located(pod.spec.initContainers, 'spec.initContainers');
  const app = located(pod.spec.containers, 'spec.containers');
  // A volume whose name was invalid has none here; references to it cannot be judged then.
  const volumes = pod.spec.volumes.every((v) => v.name !== undefined)
    ? new Set(pod.spec.volumes.map((v) => v.name))
    : undefined;
  return [
    ...duplicates(
      [...init, ...app].map((l) => ({ name: l.container.name, path: l.path })),
      'container',
    ),
    ...duplicates(
      pod.spec.volumes.map((v, i) => ({ name: v.name, path: indexPath('spec.volumes', i) })),
      'volume',
    ),
    ...[...init, ...app].flatMap((l) => [
      ...mountRules(l, volumes),
      ...portNameRules(l),
      ...nonRootRule(pod, l),
      ...execveRule(l),
    ]),
    ...hostPortRules(init, pod.spec.hostNetwork),
    ...hostPortRules(app, pod.spec.hostNetwork),
    ...init.flatMap(initOnlyRules),
    ...namespaceRules(pod),
    ...userNamespaceIssues(pod),
    ...dnsRules(pod),
    ...seccompAnnotationIssues(pod),
    ...appArmorAnnotationIssues(pod),
    ...resourceRefRules([...init, ...app]),
    ...volumeRules(pod),
    ...podResourceIssues(pod),
  ];
}

/** A resourceFieldRef that names a container names one of this pod's (the kubelet fails the pod otherwise). */
function resourceRefRules(all: Located[]): Issue[] {
  const names = new Set(all.map((l) => l.container.name));
  const issues: Issue[] = [];
  for (const { container, path } of all) {
    container.env.forEach((e, i) => {
      const name = e.valueFrom?.resourceFieldRef?.containerName;
      if (name !== undefined && !names.has(name)) {
        issues.push({
          path: `${indexPath(`${path}.env`, i)}.valueFrom.resourceFieldRef.containerName`,
          message: `container "${name}" is not in the pod`,
        });
      }
    });
  }
  return issues;
}

/** Lifecycle hooks and probes belong to containers that keep running: app containers and sidecars. */
function initOnlyRules(l: Located): Issue[] {
  if (l.container.restartPolicy === 'Always') return [];
  const fields = ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const;
  return fields
    .filter((f) => l.container[f])
    .map((f) => ({
      path: `${l.path}.${f}`,
      message: 'may not be set for init containers without restartPolicy=Always',
    }));
}

function located(containers: Container[], base: string): Located[] {
  return containers.map((container, i) => ({ container, path: indexPath(base, i) }));
}

function duplicates(items: { name?: string; path: string }[], what: string): Issue[] {
  const seen = new Map<string, string>();
  const issues: Issue[] = [];
  for (const { name, path } of items) {
    if (name === undefined) continue;
    const first = seen.get(name);
    if (first)
      issues.push({ path: `${path}.name`, message: `duplicate ${what} name "${name}": already used by ${first}` });
    else seen.set(name, path);
  }
  return issues;
}

function mountRules({ container, path }: Located, volumes: Set<string> | undefined): Issue[] {
  const issues: Issue[] = [];
  const paths = new Map<string, number>();
  container.volumeMounts.forEach((m, i) => {
    const at = indexPath(`${path}.volumeMounts`, i);
    if (volumes && m.name !== undefined && !volumes.has(m.name)) {
      issues.push({ path: `${at}.name`, message: `volume "${m.name}" is not defined in spec.volumes` });
    }
    if (m.mountPath === undefined) return;
    const normal = m.mountPath.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
    const first = paths.get(normal);
    if (first !== undefined) {
      issues.push({
        path: `${at}.mountPath`,
        message: `"${m.mountPath}" is already mounted by volumeMounts[${first}]`,
      });
    } else paths.set(normal, i);
  });
  return issues;
}

function portNameRules({ container, path }: Located): Issue[] {
  const ports = container.ports.map((p, i) => ({ name: p.name, path: indexPath(`${path}.ports`, i) }));
  return duplicates(ports, 'port');
}

function hostPortRules(containers: Located[], hostNetwork: boolean): Issue[] {
  const issues: Issue[] = [];
  const used = new Map<string, string>();
  for (const { container, path } of containers) {
    container.ports.forEach((p, i) => {
      const at = indexPath(`${path}.ports`, i);
      if (hostNetwork && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
        issues.push({
          path: `${at}.hostPort`,
          message: `must equal containerPort (${p.containerPort}) when hostNetwork is true`,
        });
      }
      if (!p.hostPort) return;
      const key = `${p.hostIP ?? ''}/${p.protocol}/${p.hostPort}`;
      const first = used.get(key);
      if (first)
        issues.push({
          path: `${at}.hostPort`,
          message: `host port ${p.hostPort}/${p.protocol} is already used by ${first}`,
        });
      else used.set(key, at);
    });
  }
  return issues;
}

function nonRootRule(pod: Pod, { container, path }: Located): Issue[] {
  const own = container.securityContext;
  const nonRoot = own?.runAsNonRoot ?? pod.spec.securityContext.runAsNonRoot;
  const user = own?.runAsUser ?? pod.spec.securityContext.runAsUser;
  if (nonRoot !== true || user !== 0) return [];
  const where = own?.runAsUser === 0 ? `${path}.securityContext.runAsUser` : 'spec.securityContext.runAsUser';
  return [{ path: where, message: `is 0 (root) but runAsNonRoot is true for container "${container.name}"` }];
}

/* The command and environment must fit execve (bounds.ts), or the container could never start. */
function execveRule({ container, path }: Located): Issue[] {
  const over = execveOverflow(container);
  return over
    ? [{ path: fieldPath(path, over.field), message: `${over.message} (container "${container.name}")` }]
    : [];
}

function namespaceRules(pod: Pod): Issue[] {
  const { spec } = pod;
  const issues: Issue[] = [];
  if (spec.shareProcessNamespace && spec.hostPID) {
    issues.push({ path: 'spec.shareProcessNamespace', message: 'may not be true when hostPID is true' });
  }
  const sysctls = spec.securityContext.sysctls ?? [];
  issues.push(
    ...duplicates(
      sysctls.map((s, i) => ({ name: s.name, path: indexPath('spec.securityContext.sysctls', i) })),
      'sysctl',
    ),
  );
  sysctls.forEach((s, i) => {
    const at = `${indexPath('spec.securityContext.sysctls', i)}.name`;
    if (spec.hostNetwork && s.name?.startsWith('net.')) {
      issues.push({
        path: at,
        message: `"${s.name}" may not be set when hostNetwork is true: it would change the host`,
      });
    }
    if (typeof s.value === 'string' && /[\u0000-\u001f\u007f]/.test(s.value)) {
      // The value is written to /proc/sys as is: a newline would end it and start another write.
      issues.push({
        path: `${indexPath('spec.securityContext.sysctls', i)}.value`,
        message: 'may not contain control characters (newline, tab, NUL, ...)',
      });
    }
    if (spec.hostIPC && s.name === 'kernel.shm_rmid_forced') {
      issues.push({ path: at, message: `"${s.name}" may not be set when hostIPC is true: it would change the host` });
    }
  });
  return issues;
}

function dnsRules(pod: Pod): Issue[] {
  const { dnsPolicy, dnsConfig } = pod.spec;
  const issues: Issue[] = [];
  if (dnsPolicy === 'None' && !dnsConfig?.nameservers?.length) {
    issues.push({
      path: fieldPath('spec.dnsConfig', 'nameservers'),
      message: 'at least one nameserver is required when dnsPolicy is None',
    });
  }
  const searches = (dnsConfig?.searches ?? []).join(' ');
  if (searches.length > 2048) {
    issues.push({
      path: 'spec.dnsConfig.searches',
      message: `the search list is ${searches.length} characters, more than 2048`,
    });
  }
  return issues;
}
