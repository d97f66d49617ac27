/**
 * Rules across a pod's volumes that the API server enforces for the volumes whose files the
 * kubelet writes: a downwardAPI file reading a container's resources names a container of this
 * pod, and the paths a volume's items give are unique (within a downwardAPI volume, and across
 * every source of a projected volume: "conflicting duplicate paths").
 */
import { indexPath, type Issue } from './errors.js';
import type { DownwardAPIVolumeFile, KeyToPath, Pod } from './types.js';

function downwardIssues(items: DownwardAPIVolumeFile[], at: string, containers: Set<string>): Issue[] {
  return items.flatMap((item, i) => {
    const name = item.resourceFieldRef?.containerName;
    if (name === undefined || containers.has(name)) return [];
    return [
      { path: `${indexPath(at, i)}.resourceFieldRef.containerName`, message: `container "${name}" is not in the pod` },
    ];
  });
}

function duplicatePaths(entries: { path?: string; at: string }[]): Issue[] {
  const seen = new Map<string, string>();
  const issues: Issue[] = [];
  for (const { path, at } of entries) {
    if (path === undefined) continue;
    const first = seen.get(path);
    if (first)
      issues.push({ path: `${at}.path`, message: `conflicting duplicate paths: "${path}" is also given by ${first}` });
    else seen.set(path, at);
  }
  return issues;
}

const itemsAt = (items: (KeyToPath | DownwardAPIVolumeFile)[] | undefined, base: string) =>
  (items ?? []).map((item, i) => ({ path: item.path, at: indexPath(base, i) }));

export function volumeRules(pod: Pod): Issue[] {
  const containers = new Set([...pod.spec.initContainers, ...pod.spec.containers].map((c) => c.name));
  const issues: Issue[] = [];
  pod.spec.volumes.forEach((v, i) => {
    const at = indexPath('spec.volumes', i);
    if (v.downwardAPI) {
      issues.push(...downwardIssues(v.downwardAPI.items, `${at}.downwardAPI.items`, containers));
      issues.push(...duplicatePaths(itemsAt(v.downwardAPI.items, `${at}.downwardAPI.items`)));
    }
    if (!v.projected) return;
    const entries: { path?: string; at: string }[] = [];
    v.projected.sources.forEach((p, j) => {
      const src = indexPath(`${at}.projected.sources`, j);
      if (p.downwardAPI) {
        issues.push(...downwardIssues(p.downwardAPI.items, `${src}.downwardAPI.items`, containers));
        entries.push(...itemsAt(p.downwardAPI.items, `${src}.downwardAPI.items`));
      }
      if (p.configMap) entries.push(...itemsAt(p.configMap.items, `${src}.configMap.items`));
      if (p.secret) entries.push(...itemsAt(p.secret.items, `${src}.secret.items`));
    });
    issues.push(...duplicatePaths(entries));
  });
  return issues;
}
