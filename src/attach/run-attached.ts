/**
 * `tspod run -it FILE`: the foreground run joined to one container's streams, as `kubectl run -it
 * --rm` makes a pod and attaches to it. The run is the supervisor, so the session is served in
 * this process (the hub directly, no socket). Which container: `-c NAME`, else the first that has
 * stdin (init containers first, in manifest order, as they run first); `-i` needs one with
 * `stdin: true`, `-t` one with `tty: true` too, checked before anything is made.
 *
 * The session starts as soon as the container runs (nothing it writes is missed). When it ends
 * (the container exited, the detach keys, or EOF on a stdin that is not a terminal) the pod is
 * stopped and removed, as `--rm` does; the exit status is the attached container's exit code, or
 * 0 after a detach.
 */
import type { Container, Pod } from '../manifest/types.js';
import type { RunningPod } from '../supervisor/run-pod.js';
import type { PodState } from '../state/types.js';
import { BEFORE_SESSION, noStdin } from './messages.js';
import { runSession, type SessionEnd } from './session.js';

export interface RunAttachOptions {
  container?: string;
  stdin: boolean;
  tty: boolean;
  quiet: boolean;
  detachKeys: Buffer;
}

/** What is wrong with `run`'s -i, -t and -c together with its other options and the files, if anything. */
export function attachFlagsProblem(
  f: { stdin: boolean; tty: boolean; container?: string; detach: boolean; dryRun: boolean },
  files: { pods: number; workloads: number },
): string | undefined {
  const attach = f.stdin || f.tty;
  if (!attach) return f.container !== undefined ? '-c names the container to attach to: it needs -i or -t' : undefined;
  if (f.detach)
    return '-i/-t attach this terminal to a foreground run; not with -d (attach later: tspod attach POD -i -t)';
  if (f.dryRun) return '-i/-t attach this terminal to a foreground run; not with --dry-run';
  if (files.pods !== 1 || files.workloads > 0) return '-i/-t attach this terminal to one pod: these files make several';
  return undefined;
}

/** The container to attach to, or an error (shown with status 125) saying why there is none. */
export function attachTarget(pod: Pod, o: Pick<RunAttachOptions, 'container' | 'stdin' | 'tty'>): Container {
  const all = [...pod.spec.initContainers, ...pod.spec.containers];
  const name = pod.metadata.name;
  if (o.container !== undefined) {
    const c = all.find((x) => x.name === o.container);
    if (!c)
      throw new Error(
        `-c ${o.container}: pod "${name}" has no such container (it has ${all.map((x) => x.name).join(', ')})`,
      );
    if (o.stdin && !c.stdin) throw new Error(noStdin(name, c.name));
    return c;
  }
  const c = all.find((x) => x.stdin);
  if (!c)
    throw new Error(
      `-i: no container of pod "${name}" has stdin: true ` +
        '(the container to attach to must ask for stdin; see "stdin" in the README)',
    );
  return c;
}

/** Attach once the container runs; then stop the pod. Resolves with the exit status. */
export async function attachToRun(
  running: RunningPod,
  state: () => PodState | undefined,
  c: Container,
  o: RunAttachOptions,
): Promise<number> {
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  const up = await Promise.race([
    running.whenRunning(c.name),
    running.done.then(
      () => false,
      () => false,
    ),
  ]);
  let end: SessionEnd | undefined;
  if (up) {
    if (!o.quiet) for (const line of BEFORE_SESSION) warn(line);
    ({ end } = await runSession((sink) => running.attach(c.name, sink, { stdin: o.stdin }), {
      container: c.name,
      stdin: o.stdin,
      tty: o.tty,
      detachKeys: o.detachKeys,
      warn,
    }));
  }
  running.stop();
  const status = await running.done;
  if (end === 'detached') return 0;
  return exitCodeOf(state(), c.name) ?? status;
}

/** The container's last exit code (its state, or its last state while it waits to restart). */
function exitCodeOf(state: PodState | undefined, name: string): number | undefined {
  const s = [...(state?.status.initContainerStatuses ?? []), ...(state?.status.containerStatuses ?? [])].find(
    (x) => x.name === name,
  );
  if (!s) return undefined;
  for (const st of [s.state, s.lastState]) {
    if (st && 'terminated' in st) return st.terminated.exitCode;
  }
  return undefined;
}
