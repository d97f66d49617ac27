/**
 * What one probe attempt says (pkg/probe): success, failure, or a warning (a success worth an
 * event, as an HTTP probe that stopped at a redirect to another host). A probe that cannot even be
 * attempted (a port name the container does not have, a pod without an IP) throws a ProbeError:
 * the kubelet reports it and throws the attempt away, counting it neither way.
 */
export type ProbeOutcome = 'success' | 'failure' | 'warning';

export interface ProbeResult {
  outcome: ProbeOutcome;
  /** what the attempt said: a command's output, an HTTP status, a connection error */
  output: string;
}

export class ProbeError extends Error {}

/** At most this much of a command's output or a response body is kept (the kubelet's 10 KiB). */
export const MAX_OUTPUT = 10 * 1024;

/** The version in `User-Agent: kube-probe/<major.minor>`: the Kubernetes API tspod follows. */
export const KUBE_VERSION = '1.34';
