/**
 * stdin, stdinOnce and tty on containers, `tspod attach` and `tspod run -it`, checked from inside
 * real pods: what a container reads on its stdin, that its terminal is its own (from its devpts,
 * with the size the attacher set), that stdinOnce gives it EOF after the first session, that
 * several sessions see the same output and that detaching leaves the container running; and that
 * a hostile container's TIOCSTI lands on its own terminal, never on the user's.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  expectClean,
  newRoots,
  pod,
  removeRoots,
  TSPOD,
  tspod,
  waitFor,
  type Result,
  type TestRoots,
} from './helpers.js';
import { onTerminal } from './terminal-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('attach');
});
afterAll(() => removeRoots(roots));

function manifest(name: string, containers: object[], extra: object = {}): string {
  const file = path.join(roots.dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(pod(name, { containers, ...extra })));
  return file;
}

/** `tspod ARGS` with its stdin left open (a session's input), its output collected as it comes. */
function session(args: string[]) {
  const child = spawn(process.execPath, [TSPOD, ...args], { env: roots.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<Result>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  return {
    child,
    done,
    write: (t: string) => child.stdin.write(t),
    end: (t?: string) => child.stdin.end(t),
    output: () => out,
    errors: () => err,
  };
}

async function runDetached(file: string): Promise<void> {
  const r = await tspod(roots, ['run', '-d', '--network', 'none', file]);
  expect(r.code, r.stderr).toBe(0);
}

async function phaseOf(name: string): Promise<string> {
  const r = await tspod(roots, ['inspect', name]);
  return JSON.parse(r.stdout)
    .status.containerStatuses.map((s: { state: object }) => Object.keys(s.state)[0])
    .join(',');
}

async function removePod(name: string): Promise<void> {
  const r = await tspod(roots, ['rm', '-f', name]);
  expect(r.code, r.stderr).toBe(0);
}

describe('stdin: true', () => {
  test('the container reads what an attached session writes; several sessions see its output; stdin stays open across sessions', async () => {
    await runDetached(manifest('cat', [{ name: 'c', image: 'busybox', stdin: true, command: ['cat'] }]));
    try {
      const a = session(['attach', '-i', '-q', 'cat']);
      const b = session(['attach', '-q', 'cat']);
      a.write('hello from a\n');
      await waitFor('the echo on a', () => a.output().includes('hello from a'));
      // b sees output from when it attached: once a ping comes through, it is.
      await waitFor('b attached', () => {
        a.write('ping\n');
        return b.output().includes('ping');
      });
      a.write('second line\n');
      await waitFor('the echo on both', () => a.output().includes('second line') && b.output().includes('second line'));
      // Without stdinOnce, the end of a session's input ends that session only: cat still runs.
      a.end();
      expect((await a.done).code).toBe(0);
      expect(await phaseOf('cat')).toBe('running');
      const c = session(['attach', '-i', '-q', 'cat']);
      c.write('third session\n');
      await waitFor(
        'the echo on c and b',
        () => c.output().includes('third session') && b.output().includes('third session'),
      );
      c.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([b.done, c.done]);
      // Everything went through the container's log too (as stdout).
      const logs = await tspod(roots, ['logs', 'cat']);
      expect(logs.stdout.split('\n').filter((l) => l !== 'ping')).toEqual([
        'hello from a',
        'second line',
        'third session',
        '',
      ]);
    } finally {
      await removePod('cat');
    }
    expectClean(roots);
  });

  test('stdinOnce: the container reads EOF when the first session ends, and stdin stays closed', async () => {
    await runDetached(
      manifest('once', [
        {
          name: 'c',
          image: 'busybox',
          stdin: true,
          stdinOnce: true,
          command: ['sh', '-c', 'cat; echo saw-eof; sleep 300'],
        },
      ]),
    );
    try {
      const a = session(['attach', '-i', '-q', 'once']);
      a.end('only line\n');
      // The session goes on after its EOF, and sees what the container does with it.
      await waitFor('EOF seen inside', () => a.output().includes('saw-eof'));
      expect(a.output()).toBe('only line\nsaw-eof\n');
      a.child.kill('SIGTERM');
      await a.done;
      const b = session(['attach', '-i', '-q', 'once']);
      b.write('too late\n');
      await waitFor('the warning', () => b.errors().includes('closed its stdin (stdinOnce)'));
      b.child.kill('SIGTERM');
      await b.done;
      expect((await tspod(roots, ['logs', 'once'])).stdout).toBe('only line\nsaw-eof\n');
    } finally {
      await removePod('once');
    }
    expectClean(roots);
  });

  test("attach -i to a container without stdin, and to a completed pod, are refused in kubectl's words", async () => {
    await runDetached(
      manifest('nostdin', [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }], { restartPolicy: 'Never' }),
    );
    try {
      const r = await tspod(roots, ['attach', '-i', 'nostdin']);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(
        'tspod: cannot attach stdin: container "c" of pod "nostdin" does not have stdin: true (attach without -i to see its output)\n',
      );
      const other = await tspod(roots, ['attach', 'nostdin', '-c', 'nope']);
      expect(other.code).toBe(125);
      expect(other.stderr).toMatch(/^tspod: cannot attach to the container: container "nope" is not in pod "nostdin"/);
    } finally {
      await removePod('nostdin');
    }
    const done = manifest('done', [{ name: 'c', image: 'busybox', command: ['true'] }], { restartPolicy: 'Never' });
    expect((await tspod(roots, ['run', '--keep', '--network', 'none', done])).code).toBe(0);
    try {
      const r = await tspod(roots, ['attach', 'done']);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe('tspod: cannot attach a container in a completed pod; current phase is Succeeded\n');
    } finally {
      await removePod('done');
    }
    // run -i needs a container with stdin, before anything is made.
    const r = await tspod(roots, [
      'run',
      '-i',
      '--network',
      'none',
      manifest('runi', [{ name: 'c', image: 'busybox', command: ['true'] }]),
    ]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^tspod: -i: no container of pod "runi" has stdin: true/);
    expectClean(roots);
  });
});

describe('tty: true', () => {
  test("run -it: the container's terminal is its own (its devpts), with this terminal's size and its changes; the pod goes when the session ends", async () => {
    const script =
      'echo ready; read a; tty; [ -t 0 ] && echo stdin-is-a-terminal; ls /dev/pts | tr "\\n" " "; echo; stty size; read b; stty size; echo "read:$a:$b"; exit 3';
    const file = manifest(
      'tty',
      [{ name: 'sh', image: 'busybox', stdin: true, tty: true, command: ['sh', '-c', script] }],
      { restartPolicy: 'Never' },
    );
    const term = onTerminal(roots, 30, 100, ['run', '-it', '--network', 'none', file]);
    try {
      await term.expectOutput(/If you don't see a command prompt, try pressing enter\.\nready\n/);
      term.type('go\n');
      // The terminal: /dev/pts/0 of a devpts that has only it (the container's own instance).
      await term.expectOutput(/\/dev\/pts\/0\nstdin-is-a-terminal\n0 ptmx \n30 100\n/);
      term.resize(40, 120);
      // (the resize reaches the container before the keys typed after it)
      await new Promise((r) => setTimeout(r, 300));
      term.type('x\n');
      await term.expectOutput(/40 120\nread:go:x\n/);
      const end = await term.done;
      // The container's exit code; nothing typed was left unread on this terminal.
      expect(end.status, end.output).toBe(3);
      // Raw as terminal programs expect: the container's terminal makes the CRs, this one adds none.
      expect(term.raw()).toContain('40 120\r\nread:go:x\r\n');
      expect(term.raw()).not.toContain('\r\r\n');
      expect(end.inq).toBe(0);
    } finally {
      term.kill();
    }
    expectClean(roots);
  });

  test('attach -it: ctrl-p ctrl-q detaches and the container runs on; a second session picks it up', async () => {
    const script = 'while read line; do echo "echo:$line"; done';
    await runDetached(
      manifest('detach', [{ name: 'sh', image: 'busybox', stdin: true, tty: true, command: ['sh', '-c', script] }]),
    );
    try {
      const first = onTerminal(roots, 24, 80, ['attach', '-it', 'detach']);
      await first.expectOutput(/try pressing enter\.\n/);
      first.type('one\n');
      await first.expectOutput(/echo:one\n/);
      first.type('\x10\x11');
      const end = await first.done;
      expect(end.status).toBe(0);
      expect(end.output).toContain("Session ended, resume using 'tspod attach detach -c sh -i -t' command");
      expect(await phaseOf('detach')).toBe('running');
      const second = onTerminal(roots, 24, 80, ['attach', '-it', '-q', '--detach-keys', 'ctrl-x', 'detach']);
      second.type('two\n');
      await second.expectOutput(/echo:two\n/);
      // ctrl-p alone is typed input, not half a detach, with other keys.
      second.type('\x18');
      expect((await second.done).status).toBe(0);
      expect(await phaseOf('detach')).toBe('running');
    } finally {
      await removePod('detach');
    }
    expectClean(roots);
  });

  test("a container's TIOCSTI lands on its own terminal, never on the user's", async () => {
    // The debian image's perl: push "echo INJECTED\n" into the terminal on fd 0, then read a line.
    const perl =
      'for my $c (split //, "echo INJECTED\\n") { ioctl(STDIN, 0x5412, $c) or die "TIOCSTI: $!\\n" } print "pushed\\n"';
    const script = `sleep 2; perl -e '${perl}'; read line; echo "container read: $line"`;
    // A root that sees the default store's images (debian, for its perl), read-only.
    const debianRoot = path.join(roots.dir, 'deb');
    fs.mkdirSync(debianRoot);
    fs.symlinkSync('/var/lib/tspod/images', path.join(debianRoot, 'images'));
    const file = manifest(
      'sti',
      [{ name: 'c', image: 'debian', imagePullPolicy: 'Never', stdin: true, tty: true, command: ['sh', '-c', script] }],
      { restartPolicy: 'Never' },
    );
    const run = await tspod(roots, ['--root', debianRoot, 'run', '-d', '--network', 'none', file]);
    expect(run.code, run.stderr).toBe(0);
    try {
      // Attached without -i: tspod reads nothing from the user's terminal, so whatever would land
      // there stays in its input queue.
      const term = onTerminal(roots, 24, 80, ['--root', debianRoot, 'attach', '-q', 'sti']);
      const end = await term.done;
      expect(end.output).toContain('pushed\n');
      expect(end.output).toContain('container read: echo INJECTED\n');
      expect(end.inq).toBe(0);
    } finally {
      const r = await tspod(roots, ['--root', debianRoot, 'rm', '-f', 'sti']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(fs.readdirSync(path.join(debianRoot, 'pods'))).toEqual([]);
    expectClean(roots);
  });
});
