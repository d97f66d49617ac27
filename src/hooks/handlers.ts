/**
 * Lifecycle handlers (pkg/kubelet/lifecycle/handlers.go): what `postStart` and `preStop` run.
 *
 * - `exec`: a command inside the container, as `tspod exec` runs one; a non-zero exit fails it;
 * - `httpGet`: a GET from the host to the pod's IP (or `host`), `User-Agent: kube-lifecycle/...`;
 *   any HTTP answer is a success, only a request that gets none fails (the kubelet does not look
 *   at the status of a hook's response);
 * - `sleep`: wait `seconds` (cut short by the grace period for a preStop hook);
 * - `tcpSocket`: accepted by the API for compatibility, never run by the kubelet: it fails.
 *
 * A failure is returned as the kubelet's message (`Exec lifecycle hook ([sh -c ...]) for Container
 * "web" in Pod "p_default(uid)" failed - error: ..., message: "..."`), which becomes the event.
 */
import type { Container, LifecycleHandler } from '../manifest/types.js';
import { runInContainer, type ExecTarget } from '../probes/exec.js';
import { httpGet, probeUrl, requestHeaders } from '../probes/http.js';
import { resolveHost, resolvePort } from '../probes/target.js';
import type { Host } from '../runtime/host.js';
import type { PodStatus } from '../state/types.js';

export interface HookContext {
  host: Host;
  container: Container;
  status: PodStatus;
  exec?: ExecTarget;
  /** `name_namespace(uid)`, as the kubelet names a pod in messages */
  podRef: string;
  /** how long the handler may take (ms); Infinity for a postStart hook */
  budgetMs: number;
}

/** Run the handler; undefined when it succeeded, else the kubelet's failure message. */
export async function runHandler(h: LifecycleHandler, ctx: HookContext): Promise<string | undefined> {
  const where = `for Container "${ctx.container.name}" in Pod "${ctx.podRef}"`;
  if (h.exec) return runExecHandler(h.exec.command, ctx, where);
  if (h.httpGet) {
    try {
      const url = probeUrl(
        h.httpGet,
        resolveHost(h.httpGet.host, ctx.status),
        resolvePort(h.httpGet.port, ctx.container),
      );
      await httpGet(url, requestHeaders(h.httpGet, 'kube-lifecycle'), Math.min(ctx.budgetMs, 2 ** 31 - 1));
      return undefined;
    } catch (err) {
      return `HTTP lifecycle hook (${h.httpGet.path}) ${where} failed - error: ${(err as Error).message}`;
    }
  }
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(h.sleep!.seconds * 1000, ctx.budgetMs)));
    return undefined;
  }
  return 'Cannot run handler: invalid handler: tcpSocket is not supported as a lifecycle handler';
}

async function runExecHandler(command: string[], ctx: HookContext, where: string): Promise<string | undefined> {
  const shown = `[${command.join(' ')}]`;
  if (!ctx.exec)
    return `Exec lifecycle hook (${shown}) ${where} failed - error: the container is not running, message: ""`;
  let r: { code: number; output: string };
  try {
    r = await runInContainer(ctx.host, ctx.exec, command, Math.min(ctx.budgetMs, 2 ** 31 - 1));
  } catch (err) {
    return `Exec lifecycle hook (${shown}) ${where} failed - error: ${(err as Error).message}, message: ""`;
  }
  if (r.code === 0) return undefined;
  const error =
    r.code === -1
      ? `command '${command.join(' ')}' timed out`
      : `command '${command.join(' ')}' exited with ${r.code}: `;
  return `Exec lifecycle hook (${shown}) ${where} failed - error: ${error}, message: ${JSON.stringify(r.output)}`;
}
