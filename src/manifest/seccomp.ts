/**
 * Which seccomp profile each container asks for: the `seccompProfile` fields and the older
 * annotations, resolved to one choice per container. Pure.
 *
 * Precedence is the kubelet's (from when it still read the annotations): the container's field,
 * then its annotation `container.seccomp.security.alpha.kubernetes.io/NAME`, then the pod's field,
 * then the pod annotation `seccomp.security.alpha.kubernetes.io/pod`, then tspod's default,
 * `RuntimeDefault` (what the kubelet does with `seccompDefault: true`, and docker and podman do).
 * Annotation values are the old spellings: `runtime/default` (and `docker/default`), `unconfined`,
 * `localhost/<path>`. Where a field and the annotation for the same place are both set they must
 * agree, as the API server requires; an annotation with any other value is an error.
 */
import type { Issue } from './errors.js';
import type { Pod, SeccompProfile } from './types.js';

export const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

/** The profile a container gets and where that choice came from (a field path, an annotation, or the default). */
export interface SeccompChoice {
  profile: SeccompProfile;
  from: string;
}

/** `runtime/default` → RuntimeDefault ...; undefined when the value is not a seccomp annotation value. */
export function fromAnnotation(value: string): SeccompProfile | undefined {
  if (value === 'runtime/default' || value === 'docker/default') return { type: 'RuntimeDefault' };
  if (value === 'unconfined') return { type: 'Unconfined' };
  if (value.startsWith('localhost/') && value.length > 'localhost/'.length)
    return { type: 'Localhost', localhostProfile: value.slice('localhost/'.length) };
  return undefined;
}

const same = (a: SeccompProfile, b: SeccompProfile) =>
  a.type === b.type && (a.localhostProfile ?? '') === (b.localhostProfile ?? '');

/** A `localhostProfile` is a relative path inside tspod's profile directory, never leaving it. */
export function localhostProfilePath(s: string): string | undefined {
  if (s.startsWith('/')) return 'must be a path relative to the profile directory (<root>/seccomp)';
  if (s.split('/').includes('..')) return 'may not contain ".."';
  if (s.includes('\0')) return 'may not contain NUL';
  return undefined;
}

/** Field rules of one `seccompProfile` object (attached in the table). */
export function profileIssues(p: { type?: string; localhostProfile?: string }): Issue[] {
  if (p.type === 'Localhost' && !p.localhostProfile)
    return [{ path: 'localhostProfile', message: 'must be set when type is Localhost' }];
  if (p.type !== undefined && p.type !== 'Localhost' && p.localhostProfile !== undefined) {
    return [{ path: 'localhostProfile', message: 'may only be set when type is Localhost' }];
  }
  return [];
}

function annotationIssue(key: string, value: string, field: SeccompProfile | undefined, fieldPath: string): Issue[] {
  const path = `metadata.annotations[${key}]`;
  const a = fromAnnotation(value);
  if (!a)
    return [
      { path, message: `must be runtime/default, docker/default, unconfined or localhost/<path>, not "${value}"` },
    ];
  const bad = a.type === 'Localhost' ? localhostProfilePath(a.localhostProfile!) : undefined;
  if (bad) return [{ path, message: bad }];
  if (field && !same(a, field)) return [{ path, message: `does not match ${fieldPath}.seccompProfile` }];
  return [];
}

/** The annotations' issues: unknown values, and disagreement with the fields they stand for. */
export function seccompAnnotationIssues(pod: Pod): Issue[] {
  const ann = pod.metadata.annotations ?? {};
  const issues: Issue[] = [];
  const all = [...pod.spec.initContainers, ...pod.spec.containers];
  for (const [key, value] of Object.entries(ann)) {
    if (key === POD_ANNOTATION)
      issues.push(...annotationIssue(key, value, pod.spec.securityContext.seccompProfile, 'spec.securityContext'));
    if (!key.startsWith(CONTAINER_ANNOTATION_PREFIX)) continue;
    const name = key.slice(CONTAINER_ANNOTATION_PREFIX.length);
    const i = all.findIndex((c) => c.name === name);
    const c = all[i];
    if (c === undefined) {
      issues.push({ path: `metadata.annotations[${key}]`, message: `names no container "${name}"` });
      continue;
    }
    const where =
      i < pod.spec.initContainers.length
        ? `spec.initContainers[${i}]`
        : `spec.containers[${i - pod.spec.initContainers.length}]`;
    issues.push(...annotationIssue(key, value, c.securityContext?.seccompProfile, `${where}.securityContext`));
  }
  return issues;
}

/** The profile of one container (the manifest is valid). */
export function seccompChoice(pod: Pod, containerName: string): SeccompChoice {
  const ann = pod.metadata.annotations ?? {};
  const c = [...pod.spec.initContainers, ...pod.spec.containers].find((x) => x.name === containerName);
  const own = c?.securityContext?.seccompProfile;
  if (own) return { profile: own, from: `container "${containerName}" securityContext.seccompProfile` };
  const cAnn = ann[CONTAINER_ANNOTATION_PREFIX + containerName];
  if (cAnn && fromAnnotation(cAnn))
    return { profile: fromAnnotation(cAnn)!, from: `annotation ${CONTAINER_ANNOTATION_PREFIX}${containerName}` };
  const podField = pod.spec.securityContext.seccompProfile;
  if (podField) return { profile: podField, from: 'spec.securityContext.seccompProfile' };
  const pAnn = ann[POD_ANNOTATION];
  if (pAnn && fromAnnotation(pAnn)) return { profile: fromAnnotation(pAnn)!, from: `annotation ${POD_ANNOTATION}` };
  return { profile: { type: 'RuntimeDefault' }, from: 'tspod default' };
}
