/**
 * Pods run from imported images: the image's Entrypoint, Cmd, Env and WorkingDir shape the
 * container's process (as Kubernetes combines them with `command` and `args`), each container
 * writes only to its own overlay upper layer, and the image itself is never changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTar, tarOfDir, writeDockerArchive, writeOciLayout } from '../unit/image/fixtures.js';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';
import { buildTestImage, describeTree, inspect, type TestImage } from './image-helpers.js';

let roots: TestRoots;
let image: TestImage;

beforeAll(async () => {
  roots = newRoots('image-run');
  image = await buildTestImage((await inspect(roots, 'busybox')).lowerDirs[0]);
  const files = fs.mkdtempSync(path.join(roots.dir, 'files-'));
  const layout = path.join(files, 'oci');
  writeOciLayout(layout, image.spec);
  fs.writeFileSync(path.join(files, 'oci.tar'), await tarOfDir(layout));
  await writeDockerArchive(path.join(files, 'saved.tar'), image.spec, []);
  fs.writeFileSync(path.join(files, 'rootfs.tar.gz'), zlib.gzipSync(await makeTar(image.flattened)));
  for (const [name, file] of [
    ['from-oci', 'oci.tar'],
    ['from-docker', 'saved.tar'],
    ['from-rootfs', 'rootfs.tar.gz'],
  ]) {
    const res = await tspod(roots, ['image', 'import', name, path.join(files, file)]);
    expect(res.code, res.stderr).toBe(0);
  }
});
afterAll(() => {
  expectClean(roots);
  removeRoots(roots);
});

async function run(name: string, containers: object[], volumes: object[] = []): Promise<string> {
  const res = await runPod(roots, pod(name, { restartPolicy: 'Never', containers, volumes }), ['--network', 'none']);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
}

const FROM_IMAGE = ['args=from-cmd', 'greeting=hi', 'pwd=/srv', 'hello=world', 'data=new ', 'wget=gone'];

describe('the image config drives the container process', () => {
  test.each([['from-oci'], ['from-docker']])('%s: Entrypoint, Cmd, Env and WorkingDir from the image', async (img) => {
    const out = await run(`run-${img}`, [{ name: 'c', image: img }]);
    expect(linesOf(out, 'c')).toEqual(FROM_IMAGE);
  });

  test('args replace the image Cmd and keep its Entrypoint; env adds to the image Env', async () => {
    const out = await run('run-args', [
      { name: 'c', image: 'from-oci', args: ['one', 'two'], env: [{ name: 'GREETING', value: 'from-pod' }] },
    ]);
    expect(linesOf(out, 'c')).toEqual(['args=one two', 'greeting=from-pod', ...FROM_IMAGE.slice(2)]);
  });

  test('command replaces the Entrypoint (and drops the Cmd); workingDir replaces WorkingDir', async () => {
    const out = await run('run-command', [
      { name: 'c', image: 'from-docker', command: ['/app/run.sh'], workingDir: '/app' },
    ]);
    expect(linesOf(out, 'c')).toEqual(['args=', 'greeting=hi', 'pwd=/app', 'hello=', 'data=new ', 'wget=gone']);
  });

  test('a root filesystem tarball has no process of its own: the manifest gives it', async () => {
    const out = await run('run-rootfs', [
      { name: 'c', image: 'from-rootfs', command: ['/app/run.sh', 'r'], workingDir: '/srv' },
    ]);
    expect(linesOf(out, 'c')).toEqual(['args=r', 'greeting=', 'pwd=/srv', 'hello=world', 'data=new ', 'wget=gone']);
  });

  test('a missing image is an error naming the image and how to get it', async () => {
    const res = await runPod(
      roots,
      pod('run-missing', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'nosuch:1.0' }] }),
      ['--network', 'none'],
    );
    expect(res.code).toBe(125);
    expect(res.stderr).toContain('ErrImagePull: image "nosuch:1.0" is not in the store');
    // the test's host configuration blocks every registry: the pull is not even tried
    expect(res.stderr).toContain('registry docker.io is blocked by the host configuration');
  });
});

describe('containers share the image read-only', () => {
  test("two containers of one pod on the same image do not see each other's writes, and the image is unchanged", async () => {
    const { lowerDirs } = await inspect(roots, 'from-oci');
    const layers = () => lowerDirs.map((d) => describeTree(d));
    const before = layers();
    const wait = (f: string) => `until [ -e /ctl/${f} ]; do sleep 0.05; done`;
    const first = [
      'echo 1 > /etc/first; echo changed >> /etc/passwd; rm /srv/hello.txt; rm -r /opt/data; touch /ctl/first-done',
      wait('second-done'),
      'if [ -e /etc/second ]; then echo first-sees-second; else echo first-alone; fi',
    ].join('; ');
    const second = [
      wait('first-done'),
      'if [ -e /etc/first ]; then echo second-sees-first; else echo second-alone; fi',
      'grep -c changed /etc/passwd || true',
      'cat /srv/hello.txt; echo; ls /opt/data',
      'echo 2 > /etc/second; touch /ctl/second-done',
    ].join('; ');
    const out = await run(
      'run-shared',
      [
        {
          name: 'first',
          image: 'from-oci',
          command: ['sh', '-c', first],
          volumeMounts: [{ name: 'ctl', mountPath: '/ctl' }],
        },
        {
          name: 'second',
          image: 'from-oci',
          command: ['sh', '-c', second],
          volumeMounts: [{ name: 'ctl', mountPath: '/ctl' }],
        },
      ],
      [{ name: 'ctl', emptyDir: {} }],
    );
    expect(linesOf(out, 'first')).toEqual(['first-alone']);
    expect(linesOf(out, 'second')).toEqual(['second-alone', '0', 'world', 'new']);
    expect(layers()).toEqual(before);
  });
});
