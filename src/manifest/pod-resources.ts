/**
 * Pod-level resources agree with the containers', as the API server requires: a pod-level request
 * is at least the containers' aggregate request (the app containers' sum, or the largest init
 * container when larger), and a pod-level limit at least every container's limit of it.
 */
import type { Issue } from './errors.js';
import { parseCpuMillis, parseQuantity } from './quantity.js';
import type { Container, Pod } from './types.js';

const amount = (name: string, q: string) => (name === 'cpu' ? parseCpuMillis(q) : parseQuantity(q));

function aggregateRequest(name: string, pod: Pod): number {
  const of = (c: Container) => {
    const q = c.resources.requests?.[name];
    return q === undefined ? 0 : amount(name, q);
  };
  const apps = pod.spec.containers.reduce((n, c) => n + of(c), 0);
  return Math.max(apps, ...pod.spec.initContainers.map(of));
}

export function podResourceIssues(pod: Pod): Issue[] {
  const r = pod.spec.resources;
  if (!r) return [];
  const issues: Issue[] = [];
  for (const [name, q] of Object.entries(r.requests ?? {})) {
    const total = aggregateRequest(name, pod);
    if (q !== undefined && total > amount(name, q)) {
      issues.push({
        path: `spec.resources.requests[${name}]`,
        message:
          'must be greater than or equal to aggregate container requests of ' +
          `${name === 'cpu' ? `${total}m` : total}`,
      });
    }
  }
  for (const [name, q] of Object.entries(r.limits ?? {})) {
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      const own = c.resources.limits?.[name];
      if (q !== undefined && own !== undefined && amount(name, own) > amount(name, q)) {
        issues.push({
          path: `spec.resources.limits[${name}]`,
          message: `must be greater than or equal to container "${c.name}" limit of ${own}`,
        });
      }
    }
  }
  return issues;
}
