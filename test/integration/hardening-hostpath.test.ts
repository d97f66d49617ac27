/**
 * A hostPath `type` cannot be raced: the type is checked on the fd the bind is made from.
 *
 * The attack: the owner of a host path flips it, as fast as it can, between a socket and a symlink
 * to /etc while pods with a `type: Socket` volume on it start. Checking the type by name and
 * binding by name later bound /etc (3 runs in 8). Now the addon opens the path once (open_tree,
 * following symlinks as the kubelet's stat does), checks the type on that fd and binds that fd:
 * each start either binds a socket or fails, and no container ever sees /etc. (A socket renamed
 * over between the open and the attach fails too: the kernel does not attach an unlinked file.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { native, type SystemError } from '../../src/native.js';
import { EXEC_HELPER } from '../../src/paths.js';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, type TestRoots } from './helpers.js';

let roots: TestRoots;
let server: net.Server;
let socket: string;
beforeAll(async () => {
  roots = newRoots('hostpath');
  socket = path.join(roots.dir, 'real.sock');
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeRoots(roots);
});

const SCRIPT =
  'if [ -d /run/s ]; then echo "bound a directory: $(ls /run/s | head -3 | tr "\\n" " ")"; elif [ -S /run/s ]; then echo "bound a socket"; else echo "bound something else"; fi';

describe('hostPath type: Socket', () => {
  test('the addon checks the type on the fd it binds: a symlink to /etc is refused there', () => {
    // No tspod check in front: the bind step alone, given a path that is a symlink to /etc now.
    const link = path.join(roots.dir, 'to-etc');
    fs.symlinkSync('/etc', link);
    const target = path.join(roots.dir, 'target');
    fs.mkdirSync(target);
    let err: SystemError | undefined;
    try {
      native.spawn({
        clone: ['mnt'],
        stdio: [-1, -1, -1],
        execHelper: EXEC_HELPER,
        timeoutMs: 10_000,
        ops: [
          { op: 'mount', source: 'none', target: '/', flags: ['REC', 'PRIVATE'] },
          { op: 'openRoot', target },
          { op: 'bind', source: link, target: '/s', sourceType: 'socket' },
          { op: 'exec', target: '/bin/true', argv: ['true'], env: [] },
        ],
      });
    } catch (e) {
      err = e as SystemError;
    }
    expect(err).toMatchObject({ code: 'ENOTSOCK', syscall: 'fstat', path: link, op: 'bind' });
    expect(fs.readdirSync(target)).toEqual([]); // nothing was attached, not even the mount point
  });

  test('a racer flipping the path between a socket and a symlink to /etc never gets /etc bound', async () => {
    const flipping = path.join(roots.dir, 'flip');
    const marker = `tspod-it-racer-${process.pid}`;
    // The racer: atomic renames, so the name is always one of the two, switching all the time.
    const racer = spawn(
      process.execPath,
      [
        '-e',
        `
      const fs = require('fs'); const [p, sock] = process.argv.slice(1);
      for (;;) {
        try { fs.linkSync(sock, p + '.s'); fs.renameSync(p + '.s', p); } catch {}
        try { fs.symlinkSync('/etc', p + '.l'); fs.renameSync(p + '.l', p); } catch {}
      }`,
        flipping,
        socket,
        marker,
      ],
      { stdio: 'ignore' },
    );
    const outcomes: string[] = [];
    try {
      const manifest = pod('race', {
        restartPolicy: 'Never',
        volumes: [{ name: 's', hostPath: { path: flipping, type: 'Socket' } }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', SCRIPT],
            volumeMounts: [{ name: 's', mountPath: '/run/s' }],
          },
        ],
      });
      for (let i = 0; i < 16; i++) {
        const res = await runPod(roots, manifest, ['--network', 'none']);
        const said = linesOf(res.stdout, 'c');
        if (res.code === 0) outcomes.push(said.join(' '));
        else if (/is not a socket/.test(res.stderr))
          outcomes.push(/when it is bound/.test(res.stderr) ? 'refused at the bind' : 'refused by the check');
        // The socket opened, then renamed over before the attach: the kernel attaches no unlinked file.
        else if (/ENOENT: no such file or directory, move_mount/.test(res.stderr))
          outcomes.push('gone before the attach');
        else outcomes.push(`exit ${res.code}: ${res.stderr}`);
      }
    } finally {
      racer.kill('SIGKILL');
      await new Promise((resolve) => racer.once('exit', resolve));
    }
    for (const o of outcomes)
      expect(['bound a socket', 'refused at the bind', 'refused by the check', 'gone before the attach']).toContain(o);
    expect(outcomes.filter((o) => o !== 'refused by the check').length, outcomes.join('\n')).toBeGreaterThan(0);
    expectClean(roots, [], [marker]);
  });
});
