/**
 * What a pod asks of a node: its effective request, the one number per resource that the scheduler
 * and the kubelet compare with what the node has left.
 *
 * App containers run together, so their requests add up. Init containers run one at a time before
 * them, so only the largest counts, but a sidecar (an init container with `restartPolicy: Always`)
 * keeps running: it adds to the app containers, and to every init container that starts after it.
 * The pod needs the larger of the two phases; pod-level requests (`spec.resources`), when given,
 * replace that for their resource; pod overhead comes on top (Kubernetes' "resources calculation
 * for scheduling and pod admission", the sidecar KEP 753, and component-helpers' PodRequests).
 */
import type { Container, Pod } from '../manifest/types.js';
import { addAmounts, amountsOf, maxAmounts, type Amounts } from './resources.js';

function isSidecar(c: Container): boolean {
  return (c as { restartPolicy?: string }).restartPolicy === 'Always';
}

/** The pod's effective request per resource (only resources it asks for appear). */
export function podRequests(pod: Pod): Amounts {
  let running = addAmounts(...pod.spec.containers.map((c) => amountsOf(c.resources.requests)));
  let sidecars: Amounts = {};
  let initPhase: Amounts = {};
  for (const c of pod.spec.initContainers) {
    const own = amountsOf(c.resources.requests);
    if (isSidecar(c)) {
      running = addAmounts(running, own);
      sidecars = addAmounts(sidecars, own);
      initPhase = maxAmounts(initPhase, sidecars);
    } else {
      initPhase = maxAmounts(initPhase, addAmounts(own, sidecars));
    }
  }
  // Pod-level requests (cpu, memory) stand for the containers' where they are given.
  const containers = { ...maxAmounts(running, initPhase), ...amountsOf(pod.spec.resources?.requests) };
  const total = addAmounts(containers, amountsOf(pod.spec.overhead));
  for (const [k, v] of Object.entries(total)) if (v === 0) delete total[k];
  return total;
}
