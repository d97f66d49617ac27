/**
 * Standard input read to its end, as text: a manifest given as `-`, and what `tspod run -d` hands
 * the detached supervisor and the Job controller (the pod or the Job, as JSON). Read as bytes and
 * decoded once, so that a character split across two reads stays whole.
 */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer | string));
  return Buffer.concat(chunks).toString('utf8');
}
