/**
 * What `kubectl attach` (and `kubectl run -it`, which attaches the same way) tells the user, in
 * its words, with tspod's command names.
 */

/** Before the session (stderr), unless --quiet. */
export const BEFORE_SESSION = [
  'All commands and output from this session will be recorded in container logs, ' +
    'including credentials and sensitive information passed through the command prompt.',
  "If you don't see a command prompt, try pressing enter.",
];

/** After a session with stdin on a terminal (stdout), unless --quiet. */
export function sessionEnded(pod: string, container: string): string {
  return `Session ended, resume using 'tspod attach ${pod} -c ${container} -i -t' command`;
}

/** `-i` to a container that has no stdin to give. */
export function noStdin(pod: string, container: string): string {
  return (
    `cannot attach stdin: container "${container}" of pod "${pod}" does not have stdin: true ` +
    '(attach without -i to see its output)'
  );
}
