/**
 * What the API server refuses around user namespaces (pkg/apis/core/validation: validateHostUsers
 * and the procMount check of each container's securityContext).
 *
 * `hostUsers: false` gives the pod a user namespace of its own; Kubernetes refuses it together with
 * any of the host's namespaces (hostNetwork, hostPID, hostIPC): a process in the pod's user
 * namespace holds no capability over a namespace of the host, so such a pod would fail in ways that
 * look arbitrary, and no use case needed it. Every volume type is allowed (the runtime makes the
 * volumes visible with the right owners; README "User namespaces").
 *
 * `procMount: Unmasked` (no masked or read-only /proc paths) is allowed only in a pod with
 * `hostUsers: false`: there /proc belongs to namespaces the pod's root does not own on the host, so
 * what it can read or write there is limited by the user namespace; on the host's users it would
 * hand the container the host's /proc knobs.
 */
import { indexPath, type Issue } from './errors.js';
import type { Container, Pod } from './types.js';

export function userNamespaceIssues(pod: Pod): Issue[] {
  const { spec } = pod;
  const issues: Issue[] = [];
  if (spec.hostUsers === false) {
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (spec[field]) issues.push({ path: `spec.${field}`, message: 'Forbidden: when `hostUsers` is false' });
    }
  }
  const check = (containers: Container[], base: string) =>
    containers.forEach((c, i) => {
      if (c.securityContext?.procMount === 'Unmasked' && spec.hostUsers !== false) {
        issues.push({
          path: `${indexPath(base, i)}.securityContext.procMount`,
          message: 'Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
        });
      }
    });
  check(spec.initContainers, 'spec.initContainers');
  check(spec.containers, 'spec.containers');
  return issues;
}

/** Does the pod get a user namespace of its own? */
export function ownUserNamespace(pod: Pod): boolean {
  return pod.spec.hostUsers === false;
}
