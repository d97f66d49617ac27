/**
 * A pod's name, checked before it is used for anything.
 *
 * A pod name becomes a directory name under `<root>/pods` and `<run-root>/pods`, and `tspod rm`
 * removes that directory recursively: a name such as `..` or `../..` would turn "remove this pod"
 * into "remove the image store" or "remove the parent of both roots" (path traversal, CWE-22). The
 * API server only accepts DNS subdomains as pod names (lower-case letters, digits, `-` and `.`,
 * at most 253 characters), which can never be `.`, `..`, contain `/` or a NUL byte; every command
 * that takes a pod name from its user checks it here first. The path helpers (paths.ts) check again
 * that what they build is a direct child of the pods directory, in case a caller forgot.
 */
import { dnsSubdomain } from '../manifest/names.js';

export class InvalidPodNameError extends Error {
  /** A usage error: the exit status of bad input (CLI.md). */
  readonly status = 125;
  constructor(
    readonly podName: string,
    why: string,
  ) {
    super(`invalid pod name ${JSON.stringify(podName)}: ${why}`);
  }
}

/** Throws InvalidPodNameError unless `name` is a DNS subdomain, as the API server requires. */
export function checkPodName(name: string): void {
  if (typeof name !== 'string' || name === '')
    throw new InvalidPodNameError(String(name ?? ''), 'a pod name cannot be empty');
  if (name.length > 253) throw new InvalidPodNameError(name, 'longer than 253 characters');
  if (dnsSubdomain(name)) {
    throw new InvalidPodNameError(
      name,
      "must be a DNS subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)",
    );
  }
}
