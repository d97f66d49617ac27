/**
 * Where tspod's time goes, in pieces that can each be timed alone:
 *
 * - Node's own start (`node -e 0`) and the CLI's modules on top of it (`tspod --version`);
 * - a process from Node the usual way (`child_process.spawnSync('/bin/true')`) against the addon's
 *   `spawn` of a one-op plan (clone + execve of the sealed helper, then `/bin/true`, exit seen
 *   through the pidfd), without and
 *   with the five namespaces a pod's infra creates: the kernel-side cost of a process and of its
 *   namespaces, with no Node start in it;
 * - the phases of one `tspod run --explain --network none` of pod2 (tspodRunPhases): where each
 *   phase begins is where tspod says it does.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, series } from './measure.mjs';
import { PHASE_ROWS, POD2, REPO, TSPOD, tspodRunPhases } from './tspod.mjs';

const POD_NAMESPACES = ['mnt', 'pid', 'net', 'ipc', 'uts'];

async function addonSpawn(native, clone, devNull, execHelper) {
  const { pidfd } = native.spawn({
    clone,
    execHelper,
    stdio: [devNull, devNull, devNull],
    ops: [{ op: 'exec', target: '/bin/true', argv: ['true'], env: [] }],
  });
  try {
    const status = await native.waitExit(pidfd);
    if (status.code !== 0) throw new Error(`addon spawn /bin/true: ${JSON.stringify(status)}`);
  } finally {
    native.close(pidfd);
  }
}

/** The breakdown's rows, each {name, what, samples}. */
export async function measureBreakdown(t, opts, progress) {
  const { native } = await import(path.join(REPO, 'dist/native.js'));
  const { EXEC_HELPER } = await import(path.join(REPO, 'dist/paths.js'));
  const devNull = fs.openSync('/dev/null', 'r+');
  const rows = [];
  const add = async (name, what, fn) => {
    progress(name);
    rows.push({ name, what, samples: await series(fn, opts) });
  };
  try {
    await add('node -e 0', "Node's own start and exit", () => run(process.execPath, ['-e', '0']));
    await add('tspod --version', "Node + loading tspod's CLI modules", () => run(TSPOD, ['--version']));
    await add('spawnSync /bin/true', 'child_process: fork + exec, from Node', () => {
      const r = spawnSync('/bin/true', { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`/bin/true: ${r.status ?? r.signal}`);
    });
    await add('addon spawn /bin/true', 'clone + exec, pidfd exit (in-process)', () =>
      addonSpawn(native, [], devNull, EXEC_HELPER),
    );
    await add('addon spawn, 5 namespaces', `the same with new ${POD_NAMESPACES.join(' ')}`, () =>
      addonSpawn(native, POD_NAMESPACES, devNull, EXEC_HELPER),
    );

    progress('tspod pod2 --network none --explain, in phases');
    const phases = [];
    await series(async () => phases.push(await tspodRunPhases(t, ['--network', 'none'], POD2)), opts);
    const recorded = phases.slice(opts.warmup);
    for (const p of PHASE_ROWS)
      rows.push({ name: `pod2: ${p.name}`, what: p.what, samples: recorded.map((r) => r[p.name]) });
  } finally {
    fs.closeSync(devNull);
  }
  return rows;
}
