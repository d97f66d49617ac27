/**
 * The pod's ledger against the recording host: the host steps in their order, teardown in reverse,
 * and, for every N, a supervisor killed just before its N-th call to the host leaves a saved
 * ledger from which `gc` (teardown/cleanup.ts removePod) removes everything the pod had: no
 * directory, file, mount, cgroup, process or network attachment is left.
 */
import { describe, expect, test } from 'vitest';
import { Sandbox } from '../../../src/runtime/sandbox.js';
import { startContainer } from '../../../src/runtime/container.js';
import { podHostSteps } from '../../../src/runtime/pod-plan.js';
import { ledgerOf } from '../../../src/runtime/ledger.js';
import { removePod } from '../../../src/teardown/cleanup.js';
import { validatePod } from '../../../src/manifest/index.js';
import { newState } from '../../../src/supervisor/run-pod.js';
import { podLayout } from '../../../src/layout.js';
import type { ImageRecord } from '../../../src/image/store.js';
import type { PodState } from '../../../src/state/types.js';
import { RecordingHost, type Call } from './recording-host.js';
import { networkedFacts } from './facts.js';

const roots = { root: '/var/lib/tspod-test', runRoot: '/run/tspod-test' };
const image: ImageRecord = {
  name: 'busybox',
  tag: 'latest',
  ref: 'busybox:latest',
  id: 'sha256:1',
  repoDigests: [],
  lowerDirs: ['/img/rootfs'],
  config: { Cmd: ['sh'] },
  created: '',
};
const layout = podLayout(roots, 'p');

function podState(): PodState {
  const pod = validatePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', uid: '00000000-0000-4000-8000-000000000001' },
    spec: {
      containers: [
        { name: 'a', image: 'busybox', command: ['true'] },
        { name: 'b', image: 'busybox', command: ['true'] },
      ],
      volumes: [
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'disk', emptyDir: {} },
      ],
      resources: { limits: { memory: '256Mi' } },
    },
  }).pod;
  return newState({ pod, images: { a: image, b: image }, keep: false });
}

/** A host on which the supervisor dies just before its `crashAt`-th call: that call and all later ones never happen. */
class CrashingHost extends RecordingHost {
  crashAt = Infinity;
  crashed = false;
  private count = 0;
  protected override record(call: Call): void {
    if (!this.crashed && ++this.count === this.crashAt) this.crashed = true;
    if (this.crashed) throw new Error(`the supervisor is dead (${call[0]})`);
    super.record(call);
  }
}

/** What the pod's supervisor does: the sandbox, then each container (as supervisor.ts records it). */
async function supervise(
  host: RecordingHost,
  state: PodState,
  disk: { saved?: string },
  isDead: () => boolean,
): Promise<Sandbox> {
  const save = async () => {
    if (isDead()) throw new Error('the supervisor is dead (save)');
    disk.saved = JSON.stringify(state);
  };
  const sb = new Sandbox({
    host,
    roots,
    state,
    save,
    network: 'tspod',
    explain: () => undefined,
    warn: () => undefined,
    facts: networkedFacts,
  });
  await sb.start();
  for (const c of state.pod.spec.containers) {
    const p = await startContainer(sb, c, image, 0);
    state.containers[c.name] = { instance: 0, process: { pid: p.pid, startTime: 0 } };
    await save();
  }
  return sb;
}

const podLeftovers = (host: RecordingHost) => host.leftovers([layout.runDir, layout.dataDir]);

describe("the pod's ledger", () => {
  test('plans the host steps in their order, each with its why', () => {
    const state = podState();
    const steps = podHostSteps({ pod: state.pod, uid: state.uid, layout, facts: networkedFacts });
    const kinds = [...new Set(steps.map((s) => s.kind))];
    expect(kinds).toEqual(['mkdir', 'writeFile', 'tmpfs', 'volume', 'cgroup', 'infra', 'network', 'containers']);
    expect(steps.filter((s) => s.kind === 'cgroup').map((s) => s.kind === 'cgroup' && s.rel)).toEqual([
      `tspod/${state.uid}`,
      `tspod/${state.uid}/infra`,
    ]);
    expect(steps.every((s) => s.why.length > 10)).toBe(true);
  });

  test('hostUsers: false: the id range is claimed before anything it owns, the emptyDirs shifted once made, the infra mapped', () => {
    const pod = validatePod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', uid: 'u-2' },
      spec: {
        hostUsers: false,
        containers: [{ name: 'a', image: 'busybox' }],
        volumes: [{ name: 'disk', emptyDir: {} }],
      },
    }).pod;
    const facts = { ...networkedFacts, userns: { hostId: 131072, length: 65536 } };
    const steps = podHostSteps({ pod, uid: 'u-2', layout, facts });
    const at = (kind: string) => steps.findIndex((s) => s.kind === kind);
    expect(at('userns')).toBeGreaterThan(steps.map((s) => s.kind).lastIndexOf('mkdir', at('writeFile')));
    expect(at('userns')).toBeLessThan(at('writeFile'));
    expect(at('idShift')).toBeGreaterThan(at('volume'));
    expect(at('idShift')).toBeLessThan(at('infra'));
    const infra = steps[at('infra')]!;
    expect(infra.kind === 'infra' && infra.plan.ops.find((o) => o.op === 'awaitIdMap')).toMatchObject({
      uidMap: '0 131072 65536',
      gidMap: '0 131072 65536',
    });
  });

  test('a whole pod is torn down by its own ledger, last step first, and nothing is left', async () => {
    const host = new RecordingHost();
    const state = podState();
    const sb = await supervise(host, state, {}, () => false);
    expect(podLeftovers(host).filter((l) => !l.startsWith('dir') && !l.startsWith('file'))).not.toEqual([]);
    const before = host.calls.length;
    expect(await sb.teardown()).toEqual([]);
    const order = host.calls
      .slice(before)
      .map((c) => c[0])
      .filter((n) => !['closeFd', 'pidfdOpen'].includes(n))
      .filter((n, i, all) => n !== all[i - 1]);
    // containers killed, DEL, the infra stopped, cgroups, volumes and /dev/shm, directories
    expect(order).toEqual(['signal', 'detachNetwork', 'signal', 'removeCgroups', 'umount', 'remove']);
    await removePod(roots, 'p', state, { host, warn: () => undefined, killWaitMs: 100, mountsUnder: () => [] });
    expect(podLeftovers(host)).toEqual([]);
  });

  test('a supervisor killed before any of its calls to the host leaves a ledger that gc cleans completely', async () => {
    // How many calls a whole start makes: the crash points to try.
    const probe = new RecordingHost();
    await supervise(probe, podState(), {}, () => false);
    const total = probe.calls.length;
    expect(total).toBeGreaterThan(20);
    for (let n = 1; n <= total + 1; n++) {
      const host = new CrashingHost();
      host.crashAt = n;
      const disk: { saved?: string } = {};
      await supervise(host, podState(), disk, () => host.crashed).catch(() => undefined);
      host.crashed = false;
      host.crashAt = Infinity;
      const saved = disk.saved ? (JSON.parse(disk.saved) as PodState) : undefined;
      const warnings: string[] = [];
      await removePod(roots, 'p', saved, {
        host,
        warn: (w) => warnings.push(w),
        killWaitMs: 100,
        mountsUnder: () => [],
      });
      expect(
        podLeftovers(host),
        `crash before call ${n} of ${total} (${probe.calls[n - 1]?.[0] ?? 'none: after the start'})`,
      ).toEqual([]);
      // gc again: every undo is idempotent, and the ledger is empty now.
      await removePod(roots, 'p', saved, { host, warn: () => undefined, killWaitMs: 100, mountsUnder: () => [] });
    }
  });

  test('a state of an older tspod (no ledger) is converted into the ledger its fields mean, and cleaned by gc', async () => {
    const host = new RecordingHost();
    const state = podState();
    await supervise(host, state, {}, () => false);
    // What an older tspod wrote: the same fields, without the ledger.
    const old = JSON.parse(JSON.stringify(state)) as PodState;
    delete old.ledger;
    expect(ledgerOf(JSON.parse(JSON.stringify(old)) as PodState).map((e) => e.step.kind)).toEqual([
      'tmpfs',
      'tmpfs',
      'cgroup',
      'infra',
      'network',
      'containers',
    ]);
    await removePod(roots, 'p', old, { host, warn: () => undefined, killWaitMs: 100, mountsUnder: () => [] });
    expect(podLeftovers(host)).toEqual([]);
  });
});
