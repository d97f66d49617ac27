/**
 * `preStop` hooks: when a pod is stopped, the kubelet first runs each container's
 * `lifecycle.preStop.exec.command` inside the container (as `kubectl exec` would) and waits for it,
 * and only then sends the stop signal. The hook does not extend the grace period: hook and stop
 * signal share it, and whatever still runs when it is over is killed, the hook included.
 *
 * The hook's output is discarded, as the kubelet does; a failure is reported, and the stop goes on.
 */
import fs from 'node:fs';
import type { Host } from '../runtime/host.js';
import type { Container } from '../manifest/types.js';
import type { ExecContext } from '../state/types.js';
import { execInContainer, shellStatus } from '../exec/exec.js';

export interface PreStopTarget {
  container: Container;
  /** pidfd of the container's main process */
  pidfd: number;
  exec: ExecContext;
}

export interface PreStopOptions {
  host: Host;
  /** when the grace period ends (ms since the epoch) */
  deadline: number;
  explain: (line: string) => void;
  warn: (line: string) => void;
}

/** Run the container's preStop hook, if it has one, until it ends or the grace period is over. */
export async function runPreStop(t: PreStopTarget, o: PreStopOptions): Promise<void> {
  const command = t.container.lifecycle?.preStop?.exec.command;
  const left = o.deadline - Date.now();
  if (!command || left <= 0) return;
  const name = t.container.name;
  o.explain(`${name}: running the preStop hook ${JSON.stringify(command)}`);
  const devnull = fs.openSync('/dev/null', 'r+');
  let hook: { pid: number; pidfd: number };
  try {
    hook = execInContainer({ container: name, pidfd: t.pidfd, context: t.exec, argv: command, stdio: [devnull, devnull, devnull] }, o.host);
  } catch (err) {
    o.warn(`container "${name}": preStop hook failed to start: ${(err as Error).message}`);
    return;
  } finally {
    fs.closeSync(devnull);
  }
  const timer = setTimeout(() => {
    o.explain(`${name}: grace period over during the preStop hook, SIGKILL`);
    o.host.signal(hook.pidfd, 9);
  }, left);
  const status = await o.host.waitExit(hook.pidfd);
  clearTimeout(timer);
  o.host.closeFd(hook.pidfd);
  const code = shellStatus(status);
  if (code !== 0) o.warn(`container "${name}": preStop hook ${JSON.stringify(command)} exited with status ${code}`);
}
