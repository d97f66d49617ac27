/**
 * `tspod attach POD`: a session with a container of a pod that runs under a supervisor (foreground
 * or detached alike), through the pod's control socket, as `kubectl attach` reaches a container
 * through the kubelet. Checked before connecting, in kubectl's words where it has some: the pod
 * must not have completed, the container must exist, and `-i` needs a container with stdin.
 */
import type { Roots } from '../paths.js';
import { podLayout } from '../layout.js';
import { getPod, pickContainer, stateOf } from '../pods/pods.js';
import { ORPHAN_HINT } from '../control/stop.js';
import { BEFORE_SESSION, noStdin, sessionEnded } from './messages.js';
import { attachRemote } from './remote.js';
import { runSession, type SessionResult } from './session.js';

export interface AttachOptions {
  container?: string;
  stdin: boolean;
  tty: boolean;
  quiet: boolean;
  detachKeys: Buffer;
}

/** A refusal before any session: the command ends with status 125 and this message. */
export class CannotAttach extends Error {}

export async function attachPod(roots: Roots, name: string, o: AttachOptions): Promise<SessionResult> {
  const pod = await getPod(roots, name);
  const state = stateOf(pod);
  if (pod.condition === 'orphaned') throw new CannotAttach(ORPHAN_HINT(name));
  const phase = state.status.phase;
  if (pod.condition === 'terminated' || phase === 'Succeeded' || phase === 'Failed') {
    throw new CannotAttach(`cannot attach a container in a completed pod; current phase is ${phase}`);
  }
  let container: string;
  try {
    container = pickContainer(state, o.container);
  } catch (err) {
    throw new CannotAttach(`cannot attach to the container: ${(err as Error).message}`);
  }
  const spec = [...state.pod.spec.initContainers, ...state.pod.spec.containers].find((c) => c.name === container)!;
  if (o.stdin && !spec.stdin) throw new CannotAttach(noStdin(name, container));
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  if (!o.quiet) for (const line of BEFORE_SESSION) warn(line);
  const socket = podLayout(roots, name).controlSocket;
  let result: SessionResult;
  try {
    result = await runSession((sink) => attachRemote(socket, { container, stdin: o.stdin }, sink), {
      container,
      stdin: o.stdin,
      tty: o.tty,
      detachKeys: o.detachKeys,
      warn,
    });
  } catch (err) {
    throw new CannotAttach(`cannot attach to container "${container}" of pod "${name}": ${(err as Error).message}`);
  }
  if (!o.quiet && o.stdin && result.raw) process.stdout.write(`${sessionEnded(name, container)}\n`);
  return result;
}
