/**
 * The built-in network's reduced chain, through `tspod run`, on a subnet, bridge and lease store
 * of this file's own (TSPOD_SUBNET, TSPOD_BRIDGE, TSPOD_IPAM_DIR): a pod without hostPort runs the
 * bridge plugin alone and still reaches another pod and the host, and is reached from the host;
 * its traffic to the outside is masqueraded by the network's rule (the "outside" is a network
 * namespace this test makes, joined to the host by a veth pair and with no route to the pods: only
 * a masqueraded connection gets its answer); a hostPort pod gets portmap as well; and after the
 * pods are removed and `tspod gc` has run, nothing of the network is left on the host: no rule or
 * chain of tspod's, no bridge, no veth, no lease.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinHostRules, cniSettings } from '../../src/network/config.js';
import { chainNames } from '../../src/network/host-rules.js';
import type { NetworkAttachment } from '../../src/network/index.js';
import { linesOf, newRoots, pod, removeRoots, runPod, tspod, waitFor, type TestRoots } from './helpers.js';
import { CLEAN, hostVeths, httpGet, leftovers, NetnsHolder, run, serveInNetns } from './network-helpers.js';

const tag = randomBytes(3).toString('hex');
const octet = randomBytes(1)[0] ?? 0;
const subnet = `10.206.${octet}.0/24`;
const gateway = `10.206.${octet}.1`;
const bridge = `tspr${tag}`;
// The outside: a /30 of the benchmarking range (198.18.0.0/15), never routed beyond this host.
const outsideHost = `198.18.${octet}.1`;
const outsideAddr = `198.18.${octet}.2`;
const outsideVeth = `tspo${tag}`;

let roots: TestRoots;
let outside: NetnsHolder;
let outsideServer: ChildProcess | undefined;
let hostServer: http.Server;
let hostPort = 0;
const www = { dir: '' };
const attachments: NetworkAttachment[] = [];

const busybox = (name: string, script: string, extra: object = {}) => ({
  name,
  image: 'busybox',
  command: ['sh', '-c', script],
  ...extra,
});
const rules = () => builtinHostRules(cniSettings(roots.env));
const saved = async () => (await run('iptables-save')).stdout;

function state(name: string) {
  return JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods', name, 'state.json'), 'utf8'));
}

async function detached(manifest: object): Promise<{ att: NetworkAttachment; ip: string }> {
  const res = await tspod(roots, ['run', '-d', '-'], JSON.stringify(manifest));
  expect(res.code, res.stderr).toBe(0);
  const s = state(res.stdout.trim());
  attachments.push(s.network);
  return { att: s.network, ip: s.status.podIP };
}

/** Packets counted by the rule of `chain` (in `table`) whose text contains `target`. */
async function packets(table: string, chain: string, target: string): Promise<number> {
  const out = (await run('iptables', ['-w', '-t', table, '-L', chain, '-v', '-x', '-n'])).stdout;
  const line = out.split('\n').find((l) => l.includes(target));
  if (!line) throw new Error(`no ${target} rule in ${table} ${chain}:\n${out}`);
  return Number(line.trim().split(/\s+/)[0]);
}

beforeAll(async () => {
  expect(process.getuid?.(), 'network integration tests need root').toBe(0);
  roots = newRoots('hostrules');
  Object.assign(roots.env, {
    TSPOD_SUBNET: subnet,
    TSPOD_BRIDGE: bridge,
    TSPOD_IPAM_DIR: path.join(roots.dir, 'ipam'),
  });
  // The outside network: a namespace with a server that says who called it, and no route to the pods.
  www.dir = path.join(roots.dir, 'www');
  fs.mkdirSync(path.join(www.dir, 'cgi-bin'), { recursive: true });
  fs.writeFileSync(
    path.join(www.dir, 'cgi-bin', 'who'),
    '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n',
    { mode: 0o755 },
  );
  outside = await NetnsHolder.start();
  const ns = `/proc/${outside.pid}/ns/net`;
  await run('ip', ['link', 'add', outsideVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(outside.pid)]);
  await run('ip', ['addr', 'add', `${outsideHost}/30`, 'dev', outsideVeth]);
  await run('ip', ['link', 'set', outsideVeth, 'up']);
  for (const cmd of [
    ['addr', 'add', `${outsideAddr}/30`, 'dev', 'eth0'],
    ['link', 'set', 'eth0', 'up'],
    ['link', 'set', 'lo', 'up'],
  ]) {
    await run('nsenter', [`--net=${ns}`, '--', 'ip', ...cmd]);
  }
  outsideServer = serveInNetns(ns, ['busybox', 'httpd', '-f', '-p', `${outsideAddr}:8080`, '-h', www.dir]);
  await waitFor('the outside server', () => httpGet(`http://${outsideAddr}:8080/cgi-bin/who`).catch(() => undefined));
});

afterAll(async () => {
  hostServer?.close();
  const left = fs.existsSync(path.join(roots.runRoot, 'pods')) ? fs.readdirSync(path.join(roots.runRoot, 'pods')) : [];
  if (left.length > 0) await tspod(roots, ['rm', '-f', ...left]);
  await tspod(roots, ['gc']).catch(() => undefined);
  outsideServer?.kill('SIGKILL');
  outside?.kill(); // its end of the veth pair goes with the namespace, and takes the host's end along
  await run('ip', ['link', 'del', outsideVeth]).catch(() => undefined);
  await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  removeRoots(roots);
});

describe('the built-in network without portmap and firewall', () => {
  test('a pod without hostPort runs the bridge alone, reaches another pod and the host, and is reached from the host', async () => {
    const server = await detached(
      pod('server', {
        terminationGracePeriodSeconds: 1,
        containers: [busybox('web', 'echo pod-page > /tmp/index.html; exec httpd -f -p 8080 -h /tmp')],
      }),
    );
    expect(server.att.config.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(server.att.config.plugins[0]).toMatchObject({ bridge, ipMasq: false });
    expect(server.att.hostRules).toEqual(rules());
    expect(server.ip.startsWith(`10.206.${octet}.`)).toBe(true);
    // the network's rules are in place, its own chains jumped to from POSTROUTING and FORWARD
    const { masq, forward } = chainNames(rules());
    const text = await saved();
    expect(text).toContain(
      `-A POSTROUTING -s ${subnet} -m comment --comment "tspod network tspod ${subnet} on ${bridge}" -j ${masq}`,
    );
    expect(text).toMatch(new RegExp(`-A FORWARD .*-j ${forward}`));
    // no per-pod rule: nothing names the pod's address
    expect((await leftovers(server.att, [])).iptables).toEqual([]);

    expect(
      await waitFor('the server', () => httpGet(`http://${server.ip}:8080/index.html`).catch(() => undefined)),
    ).toBe('pod-page\n');

    // The host, to the pods: a server of this test on the bridge's address (reachable only from them).
    hostServer = http.createServer((_req, res) => res.end('host-page\n'));
    await new Promise<void>((resolve) => hostServer.listen(0, gateway, resolve));
    hostPort = (hostServer.address() as AddressInfo).port;
    const client = await runPod(
      roots,
      pod('client', {
        restartPolicy: 'Never',
        containers: [
          busybox(
            'c',
            `wget -q -O - http://${server.ip}:8080/index.html && wget -q -O - http://${gateway}:${hostPort}/`,
          ),
        ],
      }),
    );
    expect(client.code, client.stderr).toBe(0);
    expect(linesOf(client.stdout, 'c')).toEqual(['pod-page', 'host-page']);
  });

  test("outbound traffic leaves with the host's address (masquerade), and is forwarded both ways", async () => {
    const { masq, forward } = chainNames(rules());
    const before = {
      nat: await packets('nat', masq, 'MASQUERADE'),
      fwd: await packets('filter', forward, 'RELATED,ESTABLISHED'),
    };
    // The outside has no route to the pods: without the rewrite, its answer would go nowhere.
    expect(
      await run('nsenter', [`--net=/proc/${outside.pid}/ns/net`, '--', 'ip', 'route', 'get', gateway]).catch(
        (e: Error) => e,
      ),
    ).toBeInstanceOf(Error);
    const res = await runPod(
      roots,
      pod('goingout', {
        restartPolicy: 'Never',
        containers: [busybox('c', `timeout 10 wget -q -O - http://${outsideAddr}:8080/cgi-bin/who`)],
      }),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual([outsideHost]);
    expect(await packets('nat', masq, 'MASQUERADE')).toBeGreaterThan(before.nat);
    expect(await packets('filter', forward, 'RELATED,ESTABLISHED')).toBeGreaterThan(before.fwd);
  });

  test('a hostPort pod gets portmap too: the host reaches it on 127.0.0.1, and it reaches the outside', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const ported = await detached(
      pod('ported', {
        terminationGracePeriodSeconds: 1,
        containers: [
          busybox(
            'web',
            `echo ported-page > /tmp/index.html; timeout 10 wget -q -O /tmp/who http://${outsideAddr}:8080/cgi-bin/who; exec httpd -f -p 8080 -h /tmp`,
            {
              ports: [{ containerPort: 8080, hostPort: port }],
            },
          ),
        ],
      }),
    );
    expect(ported.att.config.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(
      await waitFor('the hostPort', () => httpGet(`http://127.0.0.1:${port}/index.html`).catch(() => undefined)),
    ).toBe('ported-page\n');
    expect(await httpGet(`http://127.0.0.1:${port}/who`)).toBe(`${outsideHost}\n`);
    expect((await leftovers(ported.att, [])).iptables.length).toBeGreaterThan(0); // portmap's rules name the pod
  });

  test('the rules outlive the last pod; gc removes them, the bridge and everything else once no pod is left', async () => {
    const running = fs.readdirSync(path.join(roots.runRoot, 'pods'));
    expect(running.sort()).toEqual(['ported', 'server']);
    // a pod is on the network: gc leaves the network alone
    expect((await tspod(roots, ['gc'])).code).toBe(0);
    expect(await saved()).toContain(chainNames(rules()).masq);

    expect((await tspod(roots, ['rm', '-f', ...running])).code).toBe(0);
    for (const a of attachments) expect(await leftovers(a, hostVeths(a), rules().leaseDir)).toEqual(CLEAN);
    // a host fixture, as the bridge is: still there after the last pod
    expect(await saved()).toContain(chainNames(rules()).masq);
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(true);

    const gc = await tspod(roots, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stderr).toBe('');
    const text = await saved();
    const { masq, forward } = chainNames(rules());
    expect(
      text
        .split('\n')
        .filter((l) => l.includes(masq) || l.includes(forward) || l.includes(subnet) || l.includes(bridge)),
    ).toEqual([]);
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    const store = rules().leaseDir;
    expect(fs.readdirSync(store).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip'))).toEqual([]);
    // and a later pod finds its network again
    const again = await runPod(
      roots,
      pod('again', {
        restartPolicy: 'Never',
        containers: [busybox('c', `timeout 10 wget -q -O - http://${outsideAddr}:8080/cgi-bin/who`)],
      }),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(linesOf(again.stdout, 'c')).toEqual([outsideHost]);
  });
});
