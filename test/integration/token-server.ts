/**
 * A token server for the real registry's `auth: token` mode, written in the test as the
 * distribution token specification describes one: `GET <realm>?service=S&scope=repository:NAME:ACTIONS`
 * (several `scope`s allowed), optionally with Basic credentials, answered with
 * `{"token", "access_token", "expires_in", "issued_at"}`. The token is a JWT signed (RS256) with a
 * key whose self-signed certificate the registry trusts (`rootcertbundle`), carried in the `x5c`
 * header; its claims name the issuer, the service as audience, a lifetime, and the access granted.
 *
 * Policy: repositories under `public/` may be pulled anonymously; the test user gets whatever it
 * asks for; anyone else with a wrong password is refused (401). A scope that is not granted is left
 * out of `access` (the token is issued anyway, as Docker's own token servers do), so the registry
 * itself says no.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';

export const TOKEN_USER = 'token-user';
export const TOKEN_PASSWORD = 'token-pass';
export const TOKEN_SERVICE = 'tspod-test-registry';
export const TOKEN_ISSUER = 'tspod-test-token-issuer';

export interface TokenServer {
  realm: string;
  /** the certificate the registry must trust for the tokens' signatures */
  bundle: string;
  /** every request: its scopes and the Basic user (undefined: anonymous) */
  requests: { scopes: string[]; user?: string; service: string | null }[];
  close: () => Promise<void>;
}

/** Starts the token server on 127.0.0.1 (TLS with the test's certificate); its key and certificate in `dir`. */
export async function startTokenServer(dir: string, tls: { cert: string; key: string }): Promise<TokenServer> {
  const signKey = path.join(dir, 'token-sign.key');
  const signCert = path.join(dir, 'token-sign.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      signKey,
      '-out',
      signCert,
      '-days',
      '1',
      '-subj',
      '/CN=tspod test token signer',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const key = crypto.createPrivateKey(fs.readFileSync(signKey));
  const der = new crypto.X509Certificate(fs.readFileSync(signCert)).raw.toString('base64');
  const requests: TokenServer['requests'] = [];
  const server = https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    if (url.pathname !== '/token')
      return answer(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });
    const scopes = url.searchParams.getAll('scope');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user, password] = basic ? splitOnce(Buffer.from(basic, 'base64').toString('utf8')) : [];
    requests.push({ scopes, user, service: url.searchParams.get('service') });
    if (url.searchParams.get('service') !== TOKEN_SERVICE)
      return answer(res, 400, { errors: [{ code: 'DENIED', message: 'unknown service' }] });
    if (user !== undefined && (user !== TOKEN_USER || password !== TOKEN_PASSWORD)) {
      return answer(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] });
    }
    const access = scopes
      .map(parseScope)
      .filter((s) => s !== undefined)
      .map((s) => ({
        ...s,
        actions: user ? s.actions : s.name.startsWith('public/') ? s.actions.filter((a) => a === 'pull') : [],
      }));
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: TOKEN_ISSUER,
      sub: user ?? '',
      aud: TOKEN_SERVICE,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    };
    const token = jwt({ typ: 'JWT', alg: 'RS256', x5c: [der] }, claims, key);
    answer(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    realm: `https://127.0.0.1:${port}/token`,
    bundle: signCert,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function splitOnce(s: string): [string, string] {
  const i = s.indexOf(':');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** `repository:tspod/app:pull,push` → its parts. */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

const b64url = (b: Buffer) => b.toString('base64url');

function jwt(header: object, claims: object, key: crypto.KeyObject): string {
  const body = `${b64url(Buffer.from(JSON.stringify(header)))}.${b64url(Buffer.from(JSON.stringify(claims)))}`;
  return `${body}.${b64url(crypto.sign('sha256', Buffer.from(body), key))}`;
}

function answer(res: import('node:http').ServerResponse, status: number, doc: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(doc));
}
