/**
 * `tspod __adopt POD`: a detached supervisor for a pod whose supervisor died, started by the pod's
 * monitor (native/monitor_pod.c) when it sees its supervisor killed, or by hand. It adopts the pod
 * (adopt.ts), writes its messages to the pod's supervisor.log as the first supervisor did, stops
 * the pod on SIGTERM, and lives until the pod has ended and is torn down. Exit status 0 when there
 * was nothing to adopt (another supervisor has the pod, or it has ended): the monitor then starts
 * no other.
 */
import { describeError } from '../errors.js';
import type { Roots } from '../paths.js';
import { AdoptError, adoptPod } from './adopt.js';
import { supervisorLog } from './detach.js';
import { guardPod } from './last-resort.js';
import type { RunningPod } from './run-pod.js';
import { logger } from './supervise.js';

export async function superviseAdopted(roots: Roots, name: string, explain = false): Promise<number> {
  const log = logger(supervisorLog(roots, name));
  let running: RunningPod | undefined;
  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
    running?.stop();
  };
  process
    .on('SIGTERM', onSignal)
    .on('SIGINT', onSignal)
    .on('SIGHUP', () => undefined);
  try {
    running = await adoptPod({
      roots,
      name,
      warn: (l) => log(`warning: ${l}`),
      explain: explain ? (l) => log(`[explain] ${l}`) : () => undefined,
    });
  } catch (err) {
    log(`adopting pod "${name}": ${describeError(err)}`);
    return err instanceof AdoptError ? err.status : 125;
  }
  if (stopRequested) running.stop();
  guardPod(running, { warn: (l) => log(`warning: ${l}`), exit: (status) => process.exit(status) });
  log(`adopted pod "${name}": supervising it (pid ${process.pid})`);
  try {
    const status = await running.done;
    log(`pod "${name}" ended (status ${status})`);
    return status;
  } catch (err) {
    log(`pod "${name}" failed: ${describeError(err)}`);
    return 125;
  }
}
