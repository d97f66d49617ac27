/**
 * Shell completion as a bash user gets it (issue 19): the script `tspod completion bash` prints is
 * loaded into a real bash, and its completion function is called as bash calls it on Tab, with
 * `tspod` on the PATH: commands, options from the command's own help, the names of the pods that
 * exist (a real detached pod), and the images of the store.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, TSPOD, tspod, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState } from './lifecycle-helpers.js';

let roots: TestRoots;
let bin: string;
beforeAll(() => {
  roots = lifecycleRoots('completion');
  bin = path.join(roots.dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'tspod'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(TSPOD)} "$@"\n`,
    { mode: 0o755 },
  );
});
afterAll(() => removeRoots(roots));

/** What bash offers after `tspod WORDS...` (the last word is being completed). */
function tab(...words: string[]): string[] {
  const script = fs.readFileSync(path.join(roots.dir, 'completion.bash'), 'utf8');
  const quoted = ['tspod', ...words].map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
  const res = spawnSync(
    'bash',
    [
      '--norc',
      '-c',
      `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; cd ${JSON.stringify(roots.dir)}; _tspod; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    {
      env: { ...roots.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
    },
  );
  expect(res.status, res.stderr).toBe(0);
  return res.stdout.split('\n').filter(Boolean);
}

describe('tspod completion bash', () => {
  test('commands, options, pod names, image names; files for run', async () => {
    const script = await tspod(roots, ['completion', 'bash']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('complete -o filenames -F _tspod tspod');
    fs.writeFileSync(path.join(roots.dir, 'completion.bash'), script.stdout);
    const res = await tspod(
      roots,
      ['run', '-d', '--network', 'none', '-'],
      JSON.stringify(
        pod('web-1', {
          terminationGracePeriodSeconds: 1,
          containers: [busybox('c', 'trap "exit 0" TERM; while true; do sleep 0.1; done')],
        }),
      ),
    );
    expect(res.code, res.stderr).toBe(0);
    const state = readState(roots, 'web-1');
    expect(tab('')).toEqual(expect.arrayContaining(['run', 'ps', 'logs', 'exec', 'rm', 'image', 'completion']));
    expect(tab('lo')).toEqual(['logs']);
    expect(tab('logs', '')).toEqual(['web-1']);
    expect(tab('exec', 'we')).toEqual(['web-1']);
    expect(tab('logs', '--ta')).toEqual(['--tail']);
    expect(tab('ps', '--no-')).toEqual(expect.arrayContaining(['--no-headers']));
    expect(tab('image', 'inspect', '')).toEqual(['docker.io/library/busybox:latest']);
    // run takes files: with no candidate, bash completes file names.
    expect(tab('run', 'completion.b')).toEqual(['completion.bash']);
    expect((await tspod(roots, ['completion', 'zsh'])).stdout).toMatch(/^#compdef tspod\n/);
    expect((await tspod(roots, ['completion', 'fish'])).code).toBe(125);
    expect((await tspod(roots, ['rm', '-f', 'web-1'])).code).toBe(0);
    await expectNothingLeft(roots, [state]);
  });
});
