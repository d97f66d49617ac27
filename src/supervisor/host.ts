/**
 * The one supervisor of a run root's detached pods: the pods it hosts, each in a context of its
 * own, and when it has none left.
 *
 * A supervisor process per pod cost its memory per pod (a Node process is some 15-20 MiB): here
 * one process hosts them all, and a pod costs what its state, timers and sockets cost. What was
 * per process is per pod: each pod runs in an AsyncLocalStorage context (`PodContext`) that
 * carries its name, its last resort (last-resort.ts: an error nobody caught ends only the pod
 * whose code threw it) and the `TSPOD_*` settings of the command that handed it over
 * (pod-env.ts); its messages go to its own supervisor.log (supervise.ts); a stop signal to the
 * process stops every pod, as it stopped the one pod before.
 *
 * The host is idle when no pod is hosted and no hand-over is under way (a connection that may
 * still carry a pod: host-server.ts counts each from its acceptance). Leaving then is the
 * process's decision (host-main.ts), taken under the start lock so that no pod is handed to a
 * supervisor that is leaving.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PodContext } from './last-resort.js';
import type { HostedPod } from './supervise.js';
import type { ReadyMessage, SuperviseInput } from './detach.js';
import type { Roots } from '../paths.js';

/** A hosted pod's context: what its code sees as "this pod" wherever it runs. */
export interface HostedContext extends PodContext {
  /** the TSPOD_* settings of the command that handed the pod over */
  env?: Record<string, string>;
}

export interface PodHostOptions {
  /** supervise one pod (supervise.ts's supervisePod; a test passes its own) */
  supervise(input: SuperviseInput, ready: (m: ReadyMessage) => void): HostedPod;
  /** take up an orphaned pod and supervise it (supervise.ts's adoptHosted) */
  adopt?(roots: Roots, name: string): HostedPod;
  /** the host's own messages */
  log(line: string): void;
  /** nothing is hosted and no hand-over is under way */
  idle(): void;
}

export class PodHost {
  readonly storage = new AsyncLocalStorage<HostedContext>();
  private readonly pods = new Set<HostedPod>();
  private handovers = 0;
  private stopping = false;

  constructor(private readonly o: PodHostOptions) {}

  /** How many pods are hosted now. */
  get size(): number {
    return this.pods.size;
  }

  get isIdle(): boolean {
    return this.pods.size === 0 && this.handovers === 0;
  }

  /** A connection that may hand a pod over is open; call the function returned when it has closed. */
  openHandover(): () => void {
    this.handovers++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.handovers--;
      this.checkIdle();
    };
  }

  /**
   * Host one pod: resolves with the readiness answer for the command that handed it over. The pod
   * is counted from this call on, before anything of it runs.
   */
  host(input: SuperviseInput): Promise<ReadyMessage> {
    const name = input.pod.metadata.name;
    if (this.stopping)
      return Promise.resolve({
        ok: false,
        error: `the supervisor is stopping: pod "${name}" was not started`,
        status: 125,
      });
    return new Promise<ReadyMessage>((resolve) => this.keep(name, input.env, () => this.o.supervise(input, resolve)));
  }

  /** Adopt an orphaned pod (one whose supervisor died) and host it; counted from this call on. */
  adopt(roots: Roots, name: string): void {
    if (this.stopping || !this.o.adopt) return;
    const adopt = this.o.adopt;
    this.keep(name, undefined, () => adopt(roots, name));
  }

  /** Make the pod in a context of its own and keep it until it is gone. */
  private keep(name: string, env: Record<string, string> | undefined, make: () => HostedPod): void {
    let pod: HostedPod | undefined;
    let early: { err: unknown } | undefined;
    const ctx: HostedContext = {
      name,
      env,
      fail: (err) => {
        if (pod) pod.fail(err);
        else early ??= { err };
      },
    };
    this.storage.run(ctx, () => {
      pod = make();
    });
    const hosted = pod!;
    if (early) hosted.fail(early.err);
    this.pods.add(hosted);
    void hosted.done
      .catch((err) => this.o.log(`pod "${name}": ${String(err)}`))
      .finally(() => {
        this.pods.delete(hosted);
        this.o.log(`pod "${name}" is gone (${this.pods.size} left)`);
        this.checkIdle();
      });
  }

  /** Stop every pod (a SIGTERM to the supervisor), and refuse new ones. */
  stopAll(): void {
    this.stopping = true;
    for (const p of this.pods) p.stop();
    this.checkIdle();
  }

  /** A Warning event on every pod hosted now. */
  warnAll(reason: string, message: string): void {
    for (const p of this.pods) p.warning(reason, message);
  }

  /** The names of the pods hosted now. */
  names(): string[] {
    return [...this.pods].map((p) => p.name);
  }

  private checkIdle(): void {
    if (this.isIdle) this.o.idle();
  }
}
