/**
 * /proc/self/exe never names the host's node (CVE-2019-5736 class), checked from inside pods.
 *
 * tspod's container processes are clones of node until their execve. Without the sealed helper,
 * a command of `/proc/self/exe` (in an image that has node's libraries, such as debian) ran the
 * host's node inside the container, and so did a `#!/proc/self/exe` script on `tspod exec`; a
 * process could then try to reopen that host binary for writing. Here each of those attacks is
 * made: the command must reach only tspod's sealed helper (which refuses to be run that way), and
 * no container or exec process can open its own or another's executable for writing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inspect } from './image-helpers.js';
import {
  expectClean,
  linesOf,
  newRoots,
  pod,
  removeRoots,
  runPod,
  start,
  tspod,
  waitFor,
  type TestRoots,
} from './helpers.js';

const REFUSAL = "tspod-exec: this is tspod's sealed exec helper, not a program of the container";

let roots: TestRoots;
/** The same run root, with a root whose images are the default store's (debian), read-only. */
let deb: TestRoots;
beforeAll(() => {
  roots = newRoots('exec');
  const debianRoot = path.join(roots.dir, 'deb');
  fs.mkdirSync(debianRoot);
  fs.symlinkSync('/var/lib/tspod/images', path.join(debianRoot, 'images'));
  deb = { ...roots, root: debianRoot, env: { ...roots.env, TSPOD_ROOT: debianRoot } };
});
afterAll(() => removeRoots(roots));

const debian = (name: string, command: string[], extra: object = {}) =>
  pod(name, {
    restartPolicy: 'Never',
    containers: [{ name: 'c', image: 'debian', imagePullPolicy: 'Never', command, ...extra }],
  });

describe("a container's command", () => {
  test('/proc/self/exe as the command does not run node: it reaches the sealed helper, which refuses', async () => {
    const res = await runPod(
      deb,
      debian('selfexe', ['/proc/self/exe', '-e', 'console.log("NODE RAN", process.version)']),
      ['--network', 'none'],
    );
    expect(res.stdout + res.stderr).not.toContain('NODE RAN');
    expect(linesOf(res.stdout + res.stderr, 'c')).toEqual([REFUSAL]);
    expect(res.code).toBe(127);
    expectClean(deb);
  });

  test("the running command's /proc/self/exe is its own binary, and cannot be opened for writing", async () => {
    const perl =
      'print "exe ", readlink("/proc/self/exe"), "\\n"; if (open(my $f, "+<", "/proc/self/exe")) { print "opened for writing\\n" } else { print "refused: $!\\n" }';
    const res = await runPod(deb, debian('selfopen', ['perl', '-e', perl]), ['--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual(['exe /usr/bin/perl', 'refused: Text file busy']);
    expectClean(deb);
  });
});

describe('tspod exec', () => {
  test("the exe of an exec'd process is its own binary and cannot be opened for writing from the container", async () => {
    const manifest = path.join(roots.dir, 'victim.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify(
        pod('victim', {
          containers: [{ name: 'c', image: 'debian', imagePullPolicy: 'Never', command: ['sleep', '300'] }],
        }),
      ),
    );
    expect((await tspod(deb, ['run', '-d', '--network', 'none', manifest])).code).toBe(0);
    const victim = start(deb, ['exec', 'victim', '--', 'sleep', '123.5']);
    try {
      // From the container, find the exec'd process by its command line and try its exe.
      const perl = [
        'for my $p (glob "/proc/[0-9]*") { open(my $c, "<", "$p/cmdline") or next; local $/; my $l = <$c>;',
        '  next unless defined $l && $l eq "sleep\\x00123.5\\x00"; print "exe ", readlink("$p/exe"), "\\n";',
        '  if (open(my $f, "+<", "$p/exe")) { print "opened for writing\\n" } else { print "refused: $!\\n" } exit 0 }',
        'print "not found\\n"',
      ].join(' ');
      const out = await waitFor("the exec'd sleep", async () => {
        const r = await tspod(deb, ['exec', 'victim', '--', 'perl', '-e', perl]);
        return r.stdout.includes('not found') ? undefined : r;
      });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout.trim().split('\n')).toEqual(['exe /usr/bin/sleep', 'refused: Text file busy']);
    } finally {
      expect((await tspod(deb, ['rm', '-f', 'victim'])).code).toBe(0);
      await victim.done;
    }
    expectClean(deb, [], ['123.5']);
  });

  test('an image whose /bin/sh is "#!/proc/self/exe" does not reach node', async () => {
    // The image: busybox, the host's own libraries that node links against (so node would start
    // if it were reached, as in the debian image), and a /bin/sh that is a script for node.
    const base = await inspect(roots, 'busybox');
    const tree = path.join(roots.dir, 'shebang');
    fs.cpSync(base.lowerDirs[0], tree, { recursive: true, verbatimSymlinks: true });
    const libs = execFileSync('ldd', [process.execPath], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    expect(libs.length).toBeGreaterThan(1);
    for (const lib of libs) {
      fs.mkdirSync(path.join(tree, path.dirname(lib)), { recursive: true });
      fs.copyFileSync(fs.realpathSync(lib), path.join(tree, lib));
    }
    fs.rmSync(path.join(tree, 'bin/sh'));
    fs.writeFileSync(path.join(tree, 'bin/sh'), '#!/proc/self/exe\nconsole.log("NODE RAN", process.version)\n', {
      mode: 0o755,
    });
    // The control: exec'ed by a clone of node (as tspod's children were), this script runs node.
    expect(execFileSync(path.join(tree, 'bin/sh'), { encoding: 'utf8' })).toContain('NODE RAN');
    const tar = path.join(roots.dir, 'shebang.tar');
    execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
    fs.rmSync(tree, { recursive: true });
    expect((await tspod(roots, ['image', 'import', 'shebang', tar])).code).toBe(0);

    const manifest = path.join(roots.dir, 'shebang.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify(
        pod('shebang', {
          containers: [{ name: 'c', image: 'shebang', imagePullPolicy: 'Never', command: ['sleep', '300'] }],
        }),
      ),
    );
    expect((await tspod(roots, ['run', '-d', '--network', 'none', manifest])).code).toBe(0);
    try {
      const res = await tspod(roots, ['exec', 'shebang', '--', '/bin/sh', '-c', 'true']);
      expect(res.stdout + res.stderr).not.toContain('NODE RAN');
      expect(res.stderr).toContain(REFUSAL);
      expect(res.code).toBe(127);
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'shebang'])).code).toBe(0);
    }
    expectClean(roots);
  });
});
