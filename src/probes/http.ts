/**
 * An HTTP GET as the kubelet makes it for httpGet probes and hooks (pkg/probe/http): no keep-alive,
 * HTTPS without certificate checks (a probe checks that the server answers, not who it is), the
 * headers of the manifest over `User-Agent: kube-probe/<version>` and `Accept: *\/*`, and the
 * whole exchange within the timeout. Redirects are followed as the kubelet's client follows them:
 * to the same host, at most 10 times; a redirect to another host is not followed and its own 3xx
 * response is the answer. Errors are worded as Go's http client words them.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { HTTPGetAction } from '../manifest/types.js';
import { dialError } from './tcp.js';
import { KUBE_VERSION, MAX_OUTPUT, type ProbeResult } from './result.js';
import { joinHostPort } from './target.js';

export interface HttpAnswer {
  status: number;
  body: string;
}

export function probeUrl(a: HTTPGetAction, host: string, port: number): URL {
  const path = a.path.startsWith('/') ? a.path : `/${a.path}`;
  return new URL(`${a.scheme.toLowerCase()}://${joinHostPort(host, port)}${path}`);
}

/** The request headers: the manifest's win over the defaults (a `Host` header sets the host). */
export function requestHeaders(a: HTTPGetAction, agent: 'kube-probe' | 'kube-lifecycle'): Record<string, string> {
  const h: Record<string, string> = { 'User-Agent': `${agent}/${KUBE_VERSION}`, Accept: '*/*' };
  for (const { name, value } of a.httpHeaders ?? []) {
    for (const k of Object.keys(h)) if (k.toLowerCase() === name.toLowerCase()) delete h[k];
    h[name] = value ?? '';
  }
  return h;
}

function once(
  url: URL,
  headers: Record<string, string>,
  onReq: (r: http.ClientRequest) => void,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    // Loaded on the first probe, not with the supervisor (most pods have no HTTP probe or hook).
    const mod: typeof http | typeof https = process.getBuiltinModule(
      url.protocol === 'https:' ? 'node:https' : 'node:http',
    );
    const req = mod.request(url, {
      method: 'GET',
      headers: { ...headers, Connection: 'close' },
      agent: false,
      rejectUnauthorized: false,
    });
    onReq(req);
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < MAX_OUTPUT) chunks.push(c.subarray(0, MAX_OUTPUT - size));
      size += c.length;
    });
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
  });
}

function goError(url: URL, err: NodeJS.ErrnoException): Error {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const why = err.code && err.syscall === 'connect' ? dialError(host, port, err) : err.message;
  return new Error(`Get "${url.href}": ${why}`);
}

/** GET `url`, following same-host redirects; rejects with Go's error text. */
export async function httpGet(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
  let current: http.ClientRequest | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    current?.destroy(new Error('timeout'));
  }, timeoutMs);
  try {
    let target = url;
    for (let hops = 0; ; hops++) {
      const res = await once(target, headers, (r) => (current = r)).catch((err) => {
        throw timedOut
          ? new Error(
              `Get "${target.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
            )
          : goError(target, err);
      });
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        const next = new URL(location, target);
        if (next.hostname === url.hostname) {
          res.resume();
          if (hops + 1 >= 10) throw new Error(`Get "${next.href}": stopped after 10 redirects`);
          target = next;
          continue;
        }
      }
      const body = await readBody(res).catch(() => {
        throw new Error(`Get "${target.href}": context deadline exceeded (Client.Timeout exceeded while reading body)`);
      });
      return { status, body };
    }
  } finally {
    clearTimeout(timer);
  }
}

/** An httpGet probe: 200–299 success; 300–399 (a redirect not followed) a warning; else failure. */
export async function probeHttp(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<ProbeResult> {
  let answer: HttpAnswer;
  try {
    answer = await httpGet(url, headers, timeoutMs);
  } catch (err) {
    return { outcome: 'failure', output: (err as Error).message };
  }
  if (answer.status >= 200 && answer.status < 300) return { outcome: 'success', output: answer.body };
  if (answer.status >= 300 && answer.status < 400)
    return { outcome: 'warning', output: `Probe terminated redirects, Response body: ${answer.body}` };
  return { outcome: 'failure', output: `HTTP probe failed with statuscode: ${answer.status}` };
}
