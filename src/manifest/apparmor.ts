/**
 * AppArmor in a manifest: the `appArmorProfile` fields (pod and container) and the older
 * annotations `container.apparmor.security.beta.kubernetes.io/NAME`. Pure.
 *
 * Annotation values are the old spellings: `runtime/default`, `unconfined`, `localhost/<name>`.
 * As the API server requires, an annotation names a container of the pod, carries one of those
 * values, and agrees with that container's field when both are set.
 *
 * Whether the pod needs AppArmor at all is the kubelet's question (pkg/security/apparmor): any
 * profile other than Unconfined, at either level or in an annotation, needs the host to enforce
 * AppArmor, and a host that cannot makes the pod fail admission (admission/lsm.ts).
 */
import type { Issue } from './errors.js';
import type { AppArmorProfile, Pod } from './types.js';

export const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** `runtime/default` → RuntimeDefault ...; undefined when the value is not an AppArmor annotation value. */
export function appArmorFromAnnotation(value: string): AppArmorProfile | undefined {
  if (value === 'runtime/default') return { type: 'RuntimeDefault' };
  if (value === 'unconfined') return { type: 'Unconfined' };
  if (value.startsWith('localhost/') && value.length > 'localhost/'.length)
    return { type: 'Localhost', localhostProfile: value.slice('localhost/'.length) };
  return undefined;
}

const same = (a: AppArmorProfile, b: AppArmorProfile) =>
  a.type === b.type && (a.localhostProfile ?? '') === (b.localhostProfile ?? '');

/** The annotations' issues: unknown values, containers that do not exist, disagreement with the field. */
export function appArmorAnnotationIssues(pod: Pod): Issue[] {
  const issues: Issue[] = [];
  const all = [...pod.spec.initContainers, ...pod.spec.containers];
  for (const [key, value] of Object.entries(pod.metadata.annotations ?? {})) {
    if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    const path = `metadata.annotations[${key}]`;
    const name = key.slice(APPARMOR_ANNOTATION_PREFIX.length);
    const c = all.find((x) => x.name === name);
    const a = appArmorFromAnnotation(value);
    if (!c) issues.push({ path, message: `names no container "${name}"` });
    else if (!a)
      issues.push({ path, message: `must be runtime/default, unconfined or localhost/<profile>, not "${value}"` });
    else if (c.securityContext?.appArmorProfile && !same(a, c.securityContext.appArmorProfile)) {
      issues.push({ path, message: `does not match container "${name}" securityContext.appArmorProfile` });
    }
  }
  return issues;
}

/** The kubelet's isRequired: does any container of the pod ask for a profile other than Unconfined? */
export function appArmorRequired(pod: Pod): boolean {
  const confining = (p?: AppArmorProfile) => p !== undefined && p.type !== 'Unconfined';
  if (confining(pod.spec.securityContext.appArmorProfile)) return true;
  if ([...pod.spec.initContainers, ...pod.spec.containers].some((c) => confining(c.securityContext?.appArmorProfile)))
    return true;
  return Object.entries(pod.metadata.annotations ?? {}).some(
    ([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && v !== 'unconfined',
  );
}

/** Does any container carry SELinux options (pod or container level)? */
export function seLinuxRequested(pod: Pod): boolean {
  const set = (o?: object) => o !== undefined && Object.values(o).some((v) => v);
  return (
    set(pod.spec.securityContext.seLinuxOptions) ||
    [...pod.spec.initContainers, ...pod.spec.containers].some((c) => set(c.securityContext?.seLinuxOptions))
  );
}
