/**
 * Every manifest in examples/ runs as the README promises. The Kubernetes documentation's
 * two-container pod uses the debian and nginx images that `make setup` builds into the default
 * store (/var/lib/tspod); this file reads that store (never writes it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, REPO, removeRoots, start, tspod, waitFor, type TestRoots } from './helpers.js';

const DEFAULT_IMAGES = '/var/lib/tspod/images';
let roots: TestRoots;
let full: TestRoots;

beforeAll(() => {
  roots = newRoots('examples');
  // A root whose store is the default one, which has debian and nginx after `make setup`.
  full = newRoots('examples-full');
  fs.rmSync(path.join(full.root, 'images'), { recursive: true });
  fs.symlinkSync(DEFAULT_IMAGES, path.join(full.root, 'images'));
  roots.env.TSPOD_BACKOFF_BASE_MS = '200';
});
afterAll(() => {
  removeRoots(roots);
  removeRoots(full);
});

const example = (name: string) => path.join(REPO, 'examples', name);

describe('examples/', () => {
  test('every example passes --dry-run', async () => {
    for (const f of fs.readdirSync(path.join(REPO, 'examples')).filter((x) => x.endsWith('.yaml'))) {
      const res = await tspod(f.startsWith('two-containers') ? full : roots, ['run', '--dry-run', example(f)]);
      expect(res.code, `${f}: ${res.stderr}`).toBe(0);
    }
  });

  test.each([
    ['shared-localhost.yaml', 'client', /hello from the server container/],
    ['shared-volume.yaml', undefined, /./],
    ['shared-pid.yaml', undefined, /./],
    ['init-containers.yaml', undefined, /./],
    ['restart-policy.yaml', 'flaky', /attempt 3/],
  ])('%s runs to success', async (file, container, expected) => {
    const res = await tspod(roots, ['run', '--network', 'none', example(file)]);
    expect(res.code, res.stderr).toBe(0);
    expect(container ? linesOf(res.stdout, container).join('\n') : res.stdout).toMatch(expected);
    expectClean(roots);
  });

  // The documentation's pod, run as a user runs it: the page the debian container wrote, from the pod IP.
  async function servesThePage(args: string[], input?: string): Promise<void> {
    for (const image of ['nginx', 'debian']) {
      const has = await tspod(full, ['image', 'inspect', image]);
      expect(has.code, `the ${image} image is missing from ${DEFAULT_IMAGES}: run "make images"`).toBe(0);
    }
    const run = start(full, ['run', ...args], input);
    let stderr = '';
    run.child.stderr!.on('data', (d) => (stderr += d));
    const ip = await waitFor('the pod IP', () => /started, IP ([0-9.]+)/.exec(stderr)?.[1], 60_000);
    const page = await waitFor('the page', () => {
      try {
        const body = execFileSync('curl', ['-s', '--max-time', '2', `http://${ip}/`], { encoding: 'utf8' });
        return body.includes('Hello') ? body : undefined;
      } catch {
        return undefined;
      }
    });
    expect(page).toBe('Hello from the debian container\n');
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code).toBe(130);
    expect(linesOf(res.stdout, 'nginx-container').join('\n')).toMatch(/"GET \/ HTTP\/1.1" 200/);
    expectClean(full);
  }

  test('two-containers: nginx serves what the debian container wrote, at the pod IP', async () => {
    await servesThePage([example('two-containers.yaml')]);
  });

  test('two-containers-hostpath: the documentation text verbatim, its missing hostPath created 0755', async () => {
    // Only the path changes (never the host's /data in a test): a directory that does not exist yet.
    const data = path.join(full.dir, 'no-such-dir', 'data');
    const text = fs.readFileSync(example('two-containers-hostpath.yaml'), 'utf8');
    expect(text).toContain('path: /data\n');
    await servesThePage(['-'], text.replace('path: /data\n', `path: ${data}\n`));
    expect(fs.statSync(data).mode & 0o7777).toBe(0o755);
    expect(fs.readFileSync(path.join(data, 'index.html'), 'utf8')).toBe('Hello from the debian container\n');
  });
});
