/**
 * Stopping a pod from another process (`tspod stop`, `tspod rm -f`): ask its supervisor over the
 * control socket, and wait until it answers, which it does once the pod has stopped and been torn
 * down. The supervisor does the stopping itself (preStop hooks, stop signal, grace period,
 * SIGKILL) because it is the process that holds the containers' pidfds and waits for them.
 */
import { controlRequest, NotListeningError } from './client.js';
import type { Roots } from '../paths.js';
import { podLayout } from '../layout.js';
import { isSupervised } from '../state/store.js';
import { getPod } from '../pods/pods.js';

export const ORPHAN_HINT = (name: string) =>
  `pod "${name}" was orphaned (its supervisor is gone): "tspod gc" or "tspod rm -f ${name}" removes what it left`;

/** Stop the pod; resolves once it is stopped (at once when it already was). */
export async function stopPod(roots: Roots, name: string, timeout?: number): Promise<void> {
  const pod = await getPod(roots, name);
  if (pod.condition === 'terminated') return;
  if (pod.condition === 'orphaned') throw new Error(ORPHAN_HINT(name));
  const socket = podLayout(roots, name).controlSocket;
  // The socket appears a moment after the supervisor claimed the name: retry while it is alive.
  for (let attempt = 0; ; attempt++) {
    try {
      await controlRequest(socket, timeout === undefined ? { op: 'stop' } : { op: 'stop', timeout });
      return;
    } catch (err) {
      if (!(err instanceof NotListeningError)) throw new Error(`stopping pod "${name}"`, { cause: err });
      if (!isSupervised(roots, name)) {
        // It ended meanwhile: by itself (fine), or its supervisor died (not stopped: say so).
        if ((await getPod(roots, name)).condition === 'orphaned') throw new Error(ORPHAN_HINT(name));
        return;
      }
      if (attempt >= 100)
        throw new Error(`stopping pod "${name}": its supervisor does not answer on ${socket}`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
