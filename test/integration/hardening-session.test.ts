/**
 * What a container process shares with the operator who started it, checked from inside: its
 * session (and so the operator's controlling terminal) and its session keyring. Both are inherited
 * across clone and execve and belong to no namespace, so tspod gives every container and every
 * `tspod exec` process its own. Also: a child stuck before execve cannot freeze the supervisor.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { native, type SystemError } from '../../src/native.js';
import { EXEC_HELPER } from '../../src/paths.js';
import { expectClean, linesOf, newRoots, pod, removeRoots, TSPOD, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('session');
});
afterAll(() => removeRoots(roots));

/** Run `shellLine` (which starts tspod) on a pseudo-terminal of its own, as an operator's shell would: tspod then has a controlling terminal. */
function onTerminal(shellLine: string): { code: number | null; out: string } {
  const res = spawnSync('script', ['-qec', shellLine, '/dev/null'], {
    env: roots.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 90_000,
  });
  return { code: res.status, out: (res.stdout + res.stderr).replace(/\r/g, '') };
}

const SESSION_SCRIPT =
  'echo "session $(cut -d" " -f6 /proc/self/stat) self $$"; (exec 3</dev/tty) 2>&1 | sed "s/^/tty /"; true';

describe('a session of its own', () => {
  test('a foreground container is the leader of its own session and has no controlling terminal', () => {
    const manifest = path.join(roots.dir, 'session.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify(
        pod('sess', {
          restartPolicy: 'Never',
          containers: [
            { name: 'c', image: 'busybox', command: ['sh', '-c', SESSION_SCRIPT.replace('$$', () => '$$$$')] },
          ],
        }),
      ),
    ); // $$ is an escaped $ in a manifest
    const res = onTerminal(`node ${TSPOD} run --network none ${manifest}`);
    expect(res.code, res.out).toBe(0);
    const out = linesOf(res.out, 'c');
    // sh is PID 1 of the container; `cut` runs in its session: 1, not the operator's (0 from in here).
    expect(out[0]).toBe('session 1 self 1');
    expect(out[1]).toMatch(/^tty .*No such device or address/);
    expectClean(roots);
  });

  test("tspod exec without -t runs in a session of its own, without the operator's terminal", async () => {
    const manifest = path.join(roots.dir, 'session-exec.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify(pod('sess-exec', { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }] })),
    );
    expect((await tspod(roots, ['run', '-d', '--network', 'none', manifest])).code).toBe(0);
    try {
      const res = onTerminal(`node ${TSPOD} exec sess-exec -- sh -c '${SESSION_SCRIPT.replace(/'/g, "'\\''")}'`);
      expect(res.code, res.out).toBe(0);
      const [session, self] = /session (\d+) self (\d+)/.exec(res.out)!.slice(1);
      expect(session).toBe(self);
      expect(res.out).toMatch(/tty .*No such device or address/);
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'sess-exec'])).code).toBe(0);
    }
    expectClean(roots);
  });
});

describe('a session keyring of its own', () => {
  test("a key in the operator's session keyring cannot be read from a container", () => {
    // A root that sees the default store's images (debian: its perl's syscall() reaches keyctl), read-only.
    const debianRoot = path.join(roots.dir, 'deb');
    fs.mkdirSync(debianRoot);
    fs.symlinkSync('/var/lib/tspod/images', path.join(debianRoot, 'images'));
    // Read the session keyring (-3: the ids in it) and the key itself, by id, with keyctl(KEYCTL_READ).
    const perl =
      'my $b = "\\0" x 4096; for my $k (-3, $ARGV[0]) { my $n = syscall(250, 11, $k + 0, $b, 4096); print "key $k ", ($n < 0 ? "unreadable: $!" : unpack("H*", substr($b, 0, $n))), "\\n" }';
    const manifest = JSON.stringify(
      pod('keys', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'debian', command: ['perl', '-e', perl, 'KEYID'] }],
      }),
    );
    fs.writeFileSync(path.join(roots.dir, 'keys.json'), manifest);
    const script = `id=$(keyctl add user tspod-it-secret s3cret-value @s) && keyctl print "$id" && sed "s/KEYID/$id/" ${roots.dir}/keys.json | node ${TSPOD} --root ${debianRoot} run --network none -`;
    const out = execFileSync('keyctl', ['session', '-', 'sh', '-c', script], { env: roots.env, encoding: 'utf8' });
    // The host side could read its own key (the test is meaningful)...
    expect(out).toContain('s3cret-value');
    const lines = linesOf(out, 'c');
    expect(lines).toHaveLength(2);
    // ...and the container could not, neither through its session keyring nor by the key's id.
    expect(lines.join('\n')).not.toContain(Buffer.from('s3cret-value').toString('hex'));
    expect(lines[1]).toMatch(/unreadable/);
    expect(fs.readdirSync(path.join(debianRoot, 'pods'))).toEqual([]);
    expectClean(roots);
  });
});

describe('a deadline on the way to execve', () => {
  test('a child stuck in a step is killed, and the error names the step', () => {
    const fifo = path.join(roots.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    let err: SystemError | undefined;
    try {
      // Opening a FIFO for writing blocks until someone opens it for reading: nobody will.
      native.spawn({
        clone: [],
        stdio: [-1, -1, -1],
        timeoutMs: 500,
        execHelper: EXEC_HELPER,
        ops: [
          { op: 'writeFile', target: fifo, data: 'x' },
          { op: 'exec', target: '/bin/true', argv: ['true'], env: [] },
        ],
      });
    } catch (e) {
      err = e as SystemError;
    }
    expect(err).toMatchObject({ code: 'ETIMEDOUT', syscall: 'poll', op: 'writeFile', opIndex: 0, timedOut: true });
    // The child is gone: a reader now finds no writer (open would block if one still waited).
    const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    expect(fs.readFileSync(fd, 'utf8')).toBe('');
    fs.closeSync(fd);
  });
});
