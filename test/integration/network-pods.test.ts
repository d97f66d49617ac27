/**
 * Pod networking end to end, through `tspod run`: each pod gets an IP from the CNI plugins, pods
 * reach each other by IP, the host reaches a hostPort, hostNetwork pods see the host's interfaces,
 * and nothing of a pod's network is left after it ends — including after its supervisor was
 * SIGKILLed and `tspod gc` cleaned up. Traffic goes only to the pods this file creates.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NetworkAttachment } from '../../src/network/index.js';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, tspod, waitFor, type TestRoots } from './helpers.js';
import { CLEAN, hostVeths, httpGet, leftovers } from './network-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('net');
});
afterAll(async () => {
  await tspod(roots, ['rm', '-f', 'server', 'ported', 'crashy']).catch(() => undefined);
  removeRoots(roots);
});

const busybox = (name: string, script: string, extra: object = {}) => ({
  name,
  image: 'busybox',
  command: ['sh', '-c', script],
  ...extra,
});

function state(name: string) {
  return JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods', name, 'state.json'), 'utf8'));
}

/** Start a pod detached; its state once it runs. */
async function detached(manifest: object) {
  const res = await tspod(roots, ['run', '-d', '-'], JSON.stringify(manifest));
  expect(res.code, res.stderr).toBe(0);
  const name = res.stdout.trim();
  return state(name);
}

describe('pod networking', () => {
  test('a pod gets an IP that other pods and the host reach; /etc/hosts and the downward API know it', async () => {
    const server = await detached(
      pod('server', {
        terminationGracePeriodSeconds: 2, // httpd as PID 1 ignores SIGTERM: it is killed after 2 s
        hostAliases: [{ ip: '10.1.2.3', hostnames: ['alias.example'] }],
        containers: [
          busybox('web', 'echo pod-page > /tmp/index.html; exec httpd -f -p 8080 -h /tmp', {
            env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          }),
        ],
      }),
    );
    const ip: string = server.status.podIP;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const att: NetworkAttachment = server.network;
    expect(att.ips).toEqual([ip]);
    // The host reaches the pod at its IP.
    expect(await waitFor('the server', () => httpGet(`http://${ip}:8080/index.html`).catch(() => undefined))).toBe(
      'pod-page\n',
    );
    // Another pod reaches it by IP; its own /etc/hosts and env name its own IP.
    const client = await runPod(
      roots,
      pod('client', {
        restartPolicy: 'Never',
        containers: [
          busybox(
            'c',
            `wget -q -O - http://${ip}:8080/index.html; grep -v "^#" /etc/hosts | tail -2; echo "env $MY_IP"`,
            {
              env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            },
          ),
        ],
      }),
    );
    expect(client.code, client.stderr).toBe(0);
    const out = linesOf(client.stdout, 'c');
    expect(out[0]).toBe('pod-page');
    const clientIP = out.find((l) => l.startsWith('env '))!.slice(4);
    expect(clientIP).not.toBe(ip);
    expect(out).toContain(`${clientIP}\tclient`);
    // The server's hosts file has its own line and the alias.
    const hosts = await tspod(roots, ['exec', 'server', '--', 'cat', '/etc/hosts']);
    expect(hosts.stdout).toContain(`${ip}\tserver\n`);
    expect(hosts.stdout).toContain('# Entries added by HostAliases.\n10.1.2.3\talias.example\n');
    const env = await tspod(roots, ['exec', 'server', '--', 'sh', '-c', 'echo $MY_IP']);
    expect(env.stdout.trim()).toBe(ip);

    expect((await tspod(roots, ['stop', 'server'])).code).toBe(0);
    expect((await tspod(roots, ['rm', 'server'])).code).toBe(0);
    expect(await leftovers(att, hostVeths(att))).toEqual(CLEAN);
    expectClean(roots);
  });

  test('hostPort: the host reaches the pod on 127.0.0.1 and on the host address', async () => {
    const s = await detached(
      pod('ported', {
        containers: [
          busybox('web', 'echo ported-page > /tmp/index.html; exec httpd -f -p 8080 -h /tmp', {
            ports: [{ containerPort: 8080, hostPort: 18089 }],
          }),
        ],
      }),
    );
    const att: NetworkAttachment = s.network;
    expect(
      await waitFor('the hostPort', () => httpGet('http://127.0.0.1:18089/index.html').catch(() => undefined)),
    ).toBe('ported-page\n');
    expect(await httpGet(`http://${s.status.hostIP}:18089/index.html`)).toBe('ported-page\n');
    expect((await tspod(roots, ['rm', '-f', 'ported'])).code).toBe(0);
    expect(await leftovers(att, hostVeths(att))).toEqual(CLEAN);
    await expect(httpGet('http://127.0.0.1:18089/index.html')).rejects.toThrow();
    expectClean(roots);
  });

  test("hostNetwork: the host's interfaces, its name and hosts file; no CNI", async () => {
    const hostLinks = fs.readdirSync('/sys/class/net').sort();
    const res = await runPod(
      roots,
      pod('hostnet', {
        restartPolicy: 'Never',
        hostNetwork: true,
        containers: [busybox('c', 'ls /sys/class/net; echo "name $(hostname)"; head -1 /etc/hosts')],
      }),
    );
    expect(res.code, res.stderr).toBe(0);
    const out = linesOf(res.stdout, 'c');
    expect(out.slice(0, hostLinks.length).sort()).toEqual(hostLinks);
    expect(out).toContain(`name ${fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()}`);
    expect(out).toContain('# Kubernetes-managed hosts file (host network).');
    expectClean(roots);
  });

  test('--network none and the tspod.io/network annotation: loopback only', async () => {
    const script = 'ls /sys/class/net';
    const viaFlag = await runPod(roots, pod('lo1', { restartPolicy: 'Never', containers: [busybox('c', script)] }), [
      '--network',
      'none',
    ]);
    const viaAnnotation = await runPod(roots, {
      ...pod('lo2', { restartPolicy: 'Never', containers: [busybox('c', script)] }),
      metadata: { name: 'lo2', annotations: { 'tspod.io/network': 'none' } },
    });
    expect(linesOf(viaFlag.stdout, 'c')).toEqual(['lo']);
    expect(linesOf(viaAnnotation.stdout, 'c')).toEqual(['lo']);
    expectClean(roots);
  });

  test('without CNI plugins a pod still runs, with loopback only, and tspod says what to install', async () => {
    const env = { ...roots.env, TSPOD_CNI_PATH: path.join(roots.dir, 'no-plugins-here') };
    const res = await runPod(
      { ...roots, env },
      pod('noplugins', { restartPolicy: 'Never', containers: [busybox('c', 'ls /sys/class/net')] }),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual(['lo']);
    expect(res.stderr.match(/apt-get install containernetworking-plugins/g)).toHaveLength(1);
    expectClean(roots);
  });

  test('pods started in parallel get distinct addresses', async () => {
    const n = 6;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        runPod(
          roots,
          pod(`par${i}`, {
            restartPolicy: 'Never',
            containers: [busybox('c', 'ip -4 -o addr show eth0 | tr -s " " | cut -d" " -f4')],
          }),
        ),
      ),
    );
    const ips = results.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return linesOf(r.stdout, 'c')[0];
    });
    expect(new Set(ips).size).toBe(n);
    expectClean(roots);
  });

  test('after the supervisor is SIGKILLed, gc leaves no veth, lease, rule or pin behind', async () => {
    const s = await detached(pod('crashy', { containers: [busybox('c', 'exec sleep 300')] }));
    const att: NetworkAttachment = s.network;
    const veths = hostVeths(att);
    expect(veths.length).toBe(1);
    process.kill(s.supervisor.pid, 'SIGKILL');
    const ps = await waitFor('the pod to show as orphaned', async () => {
      const r = await tspod(roots, ['ps', '-a']);
      return /crashy\s+\S+\s+Orphaned/.test(r.stdout) ? r.stdout : undefined;
    });
    expect(ps).toContain('crashy');
    const gc = await tspod(roots, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(await leftovers(att, veths)).toEqual(CLEAN);
    expect(
      fs.existsSync(`/proc/${s.infra.pid}`) &&
        fs.readFileSync(`/proc/${s.infra.pid}/cmdline`, 'utf8').startsWith('/pause'),
    ).toBe(false);
    expectClean(roots, [s.uid]);
  });
});
