/**
 * Manifest semantics, seen from inside a running container: $(VAR) expansion in env, command and
 * args; the downward API; the image's Env under the manifest's; workingDir created when missing;
 * and unsupported fields refused by name (or, with --ignore-unsupported, warned about).
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('spec');
});
afterAll(() => removeRoots(roots));

describe('the process a container runs', () => {
  test('$(VAR) expansion and the downward API', async () => {
    const uid = '0b1a8f2e-0000-4000-8000-00000000d0a1';
    const res = await runPod(
      roots,
      pod(
        'expand',
        {
          restartPolicy: 'Never',
          serviceAccountName: 'robot',
          containers: [
            {
              name: 'c',
              image: 'busybox',
              workingDir: '/work/here',
              command: [
                'sh',
                '-c',
                'echo "greeting=$(GREETING)"; env | sort | grep -E "^(GREETING|POD_[A-Z]+|NODE|SA|LITERAL|UNDEF|PATH)="; pwd',
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
                { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
                { name: 'GREETING', value: 'hello $(POD_NAME) in $(POD_NAMESPACE)' },
                { name: 'LITERAL', value: '$$(POD_NAME)' },
                { name: 'UNDEF', value: '$(NOT_DEFINED)' },
              ],
            },
          ],
        },
        uid,
      ),
      ['--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual([
      'greeting=hello expand in default',
      'GREETING=hello expand in default',
      'LITERAL=$(POD_NAME)',
      `NODE=${os.hostname()}`,
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'POD_NAME=expand',
      'POD_NAMESPACE=default',
      `POD_UID=${uid}`,
      'SA=robot',
      'UNDEF=$(NOT_DEFINED)',
      '/work/here',
    ]);
    expectClean(roots, [uid]);
  });

  test('args without command keep the image entrypoint; neither runs the image CMD', async () => {
    // busybox's image config: Cmd ["sh"]. With args only, args replace Cmd: `-c ...` is passed to... nothing
    // (no Entrypoint), so args become the whole command line, as in Kubernetes.
    const res = await runPod(
      roots,
      pod('args', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', args: ['echo', 'from-args'] }],
      }),
      ['--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual(['from-args']);
  });

  test('an unsupported field is refused by name; --ignore-unsupported warns and runs', async () => {
    // resizePolicy (in-place resize) needs a resize request from an API server: ignorable, refused by default.
    const manifest = pod('resize', {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'c',
          image: 'busybox',
          command: ['echo', 'ran'],
          resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
        },
      ],
    });
    const refused = await runPod(roots, manifest, ['--network', 'none']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('spec.containers[0].resizePolicy');
    const ignored = await runPod(roots, manifest, ['--network', 'none', '--ignore-unsupported']);
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(ignored.stderr).toMatch(/warning: .*spec\.containers\[0\]\.resizePolicy/);
    expect(linesOf(ignored.stdout, 'c')).toEqual(['ran']);
    // A securityContext field is never ignored.
    const never = await runPod(
      roots,
      pod('sc', {
        containers: [{ name: 'c', image: 'busybox', securityContext: { windowsOptions: { runAsUserName: 'x' } } }],
      }),
      ['--ignore-unsupported'],
    );
    expect(never.code).toBe(125);
    expect(never.stderr).toContain('spec.containers[0].securityContext.windowsOptions');
    expectClean(roots);
  });
});
