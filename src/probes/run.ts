/**
 * One attempt of a probe (pkg/kubelet/prober/prober.go): pick the handler the probe names and run
 * it with the probe's timeout. A handler that cannot be attempted is retried up to three times
 * within the attempt, as the kubelet's runProbeWithRetries does, and then reported as an error.
 */
import type { Container, Probe } from '../manifest/types.js';
import type { Host } from '../runtime/host.js';
import type { PodStatus } from '../state/types.js';
import { probeExec, type ExecTarget } from './exec.js';
import { probeHttp, probeUrl, requestHeaders } from './http.js';
import { ProbeError, type ProbeResult } from './result.js';
import { resolveHost, resolvePort } from './target.js';
import { probeTcp } from './tcp.js';

export interface ProbeContext {
  host: Host;
  container: Container;
  status: PodStatus;
  /** how to run a command in the running instance (undefined once it has exited) */
  exec?: ExecTarget;
}

const MAX_RETRIES = 3;

async function attempt(p: Probe, ctx: ProbeContext): Promise<ProbeResult> {
  const timeoutMs = p.timeoutSeconds * 1000;
  if (p.exec) {
    if (!ctx.exec) throw new ProbeError('the container is not running');
    return probeExec(ctx.host, ctx.exec, p.exec.command, timeoutMs);
  }
  if (p.httpGet) {
    const port = resolvePort(p.httpGet.port, ctx.container);
    const url = probeUrl(p.httpGet, resolveHost(p.httpGet.host, ctx.status), port);
    return probeHttp(url, requestHeaders(p.httpGet, 'kube-probe'), timeoutMs);
  }
  if (p.tcpSocket) {
    const port = resolvePort(p.tcpSocket.port, ctx.container);
    return probeTcp(resolveHost(p.tcpSocket.host, ctx.status), port, timeoutMs);
  }
  if (p.grpc) {
    // Loaded only for a pod that has a grpc probe: the gRPC library stays off every other path.
    const { probeGrpc } = await import('./grpc.js');
    return probeGrpc(resolveHost(undefined, ctx.status), p.grpc.port, p.grpc.service, timeoutMs);
  }
  throw new ProbeError('missing probe handler');
}

/** Run the probe once; throws a ProbeError when it could not be attempted (after the retries). */
export async function runProbe(p: Probe, ctx: ProbeContext): Promise<ProbeResult> {
  let last: unknown;
  for (let i = 0; i < MAX_RETRIES; i++) {
    try {
      return await attempt(p, ctx);
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      last = err;
    }
  }
  throw last;
}
