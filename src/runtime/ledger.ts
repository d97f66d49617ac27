/**
 * The one executor of a pod's host steps, and the one teardown: the pod's ledger.
 *
 * `runHostSteps` appends each step to the pod's ledger (`state.ledger`) and saves the state
 * durably *before* doing it, so that whatever moment a crash comes at, the saved ledger names
 * everything that may exist on the host. `undoLedger` walks a ledger backwards and undoes each
 * step; every case of teardown is that walk: the pod's normal end and a failed start (the
 * supervisor), `stop` and `rm -f`, and `gc` after a killed supervisor (teardown/cleanup.ts). Each
 * undo is idempotent and tolerates its act never having happened (a missing directory, a target
 * that is not mounted, a cgroup that is gone, a process already dead), so a walk can be repeated
 * after it failed halfway, and a step recorded just before a crash is undone as if it had been done.
 *
 * States written by tspods before the ledger (they recorded `mounts`, `cgroups`, `infra` and
 * `network` only) are converted into the ledger those fields mean (`ledgerOf`), so gc cleans them
 * by the same walk.
 */
import type { Host } from './host.js';
import { describeHostStep, type HostStep, type LedgerEntry } from '../plan/host-steps.js';
import type { PodState, ProcessRef } from '../state/types.js';
import type { NetworkAttachment } from '../network/index.js';
import type { Roots } from '../paths.js';
import { releaseRange } from '../state/userns-ranges.js';

export type { LedgerEntry };

/** What doing a step needs besides the host: the pod's record, and how each kind is done. */
export interface StepRunner {
  host: Host;
  state: PodState;
  /** persist the state durably (the ledger entry must be on disk before the act) */
  save: () => Promise<void>;
  explain: (line: string) => void;
  /** do one step (the acts that need the pod's machinery: volumes, infra, network) */
  act: (entry: LedgerEntry, index: number) => Promise<void>;
}

/**
 * Record every step and save, then do each, in order. A failure leaves the ledger as it is, for
 * the undo.
 *
 * All the steps are recorded in one save before the first is done, not one save per step (issue
 * 15: a save is a write and a rename). That is as safe: what the ledger must never miss is a step
 * that was done, and a step recorded but not yet done is undone like one a crash came just after,
 * which every undo tolerates (above). What an act makes beyond its step (a volume's mounts, a
 * cgroup's directories, the infra's pid, the network attachment) it records itself, before making it.
 */
export async function runHostSteps(r: StepRunner, steps: HostStep[]): Promise<void> {
  const ledger = (r.state.ledger ??= []);
  const entries = steps.map((step): LedgerEntry => ({ step }));
  ledger.push(...entries);
  await r.save();
  for (const entry of entries) {
    const index = ledger.indexOf(entry);
    r.explain(`host step ${index + 1}: ${describeHostStep(entry.step)} (${entry.step.why})`);
    await r.act(entry, index);
    entry.done = true;
  }
  await r.save();
}

/** The acts that need nothing but the host (the others are the caller's: StepRunner.act). */
export async function actSimply(host: Host, state: PodState, step: HostStep): Promise<boolean> {
  switch (step.kind) {
    case 'mkdir':
      await host.mkdir(step.path, step.mode);
      return true;
    case 'writeFile':
      await host.writeFile(step.path, step.content, step.mode);
      return true;
    case 'tmpfs':
      // (state.mounts: the list older tspods read; the ledger entry is the record.)
      if (!state.mounts.includes(step.target)) state.mounts.push(step.target);
      host.mount(step.source, step.target, 'tmpfs', step.flags, step.options);
      return true;
    case 'cgroup':
      await host.createCgroup(step.rel, step.limits, async (d) => {
        if (!state.cgroups.includes(d)) state.cgroups.push(d);
      });
      return true;
    case 'containers':
      return true;
    default:
      return false;
  }
}

export interface UndoContext {
  host: Host;
  state: PodState;
  roots: Roots;
  /** the infra as its own supervisor holds it (a pidfd of its child): stopped gently, then killed */
  infra?: { pid: number; pidfd: number };
  /** how long killed processes may take to be gone */
  killWaitMs?: number;
  explain?: (line: string) => void;
}

/** Undo every step of `ledger`, last first; the failures are returned (the others are undone). */
export async function undoLedger(u: UndoContext, ledger: LedgerEntry[]): Promise<Error[]> {
  const errors: Error[] = [];
  for (const [i, entry] of [...ledger.entries()].reverse()) {
    u.explain?.(`undo host step ${i + 1}: ${describeHostStep(entry.step)}`);
    try {
      await undoStep(u, entry);
    } catch (err) {
      errors.push(new Error(`undo: ${describeHostStep(entry.step)}`, { cause: err }));
    }
  }
  // All undone: nothing is left to walk again (a kept pod's `rm` later finds an empty ledger).
  if (errors.length === 0 && u.state.ledger === ledger) u.state.ledger = [];
  return errors;
}

async function undoStep(u: UndoContext, entry: LedgerEntry): Promise<void> {
  const { host, state } = u;
  const step = entry.step;
  switch (step.kind) {
    case 'containers':
      return killAll(
        u,
        Object.values(state.containers)
          .map((c) => c.process)
          .filter((p): p is ProcessRef => !!p),
      );
    case 'network': {
      const a = state.network as NetworkAttachment | undefined;
      if (!a) return;
      await host.detachNetwork(a);
      state.network = undefined;
      return;
    }
    case 'infra':
      if (u.infra) return stopOwnChild(host, u.infra);
      if (state.infra) return killAll(u, [state.infra]);
      return;
    case 'cgroup': {
      // The planned directories, and those the act recorded having made for the same cgroup
      // (the same, unless the hierarchies moved since planning), with what is below them.
      const mine = (d: string) =>
        step.dirs.some((s) => d === s || d.startsWith(`${s}/`)) ||
        (!!step.rel && (d.endsWith(`/${step.rel}`) || d.includes(`/${step.rel}/`)));
      await host.removeCgroups([...step.dirs, ...state.cgroups.filter(mine)]);
      state.cgroups = state.cgroups.filter((d) => !mine(d));
      return;
    }
    case 'volume':
      for (const m of [...(entry.mounts ?? [])].reverse()) unmountAll(host, m);
      return;
    case 'tmpfs':
      unmountAll(host, step.target);
      state.mounts = state.mounts.filter((m) => m !== step.target);
      return;
    case 'mkdir':
      if (!step.keep) await host.remove(step.path);
      return;
    case 'idShift':
      return; // the emptyDirs go with the volumes directory
    case 'userns':
      // Last of the pod's things: its processes (the owners of the range's ids) are gone by now.
      // Freed only if this pod holds it (a claim is the pod's by uid), so a repeated walk is harmless.
      if (state.userns) releaseRange(u.roots, state.userns, state.uid);
      delete state.userns;
      return;
    case 'writeFile':
      return; // in the pod's run directory, which goes with the pod
    default: {
      // A new kind of step needs its undo here (the compiler says so).
      const unknown: never = step;
      throw new Error(`no undo for host step ${JSON.stringify(unknown)}`);
    }
  }
}

/** The infra as its parent stops it: SIGTERM, SIGKILL after 2 s, reaped. */
async function stopOwnChild(host: Host, p: { pid: number; pidfd: number }): Promise<void> {
  const exited = host.waitExit(p.pidfd);
  host.signal(p.pidfd, 15);
  const timer = setTimeout(() => host.signal(p.pidfd, 9), 2000);
  await exited;
  clearTimeout(timer);
  host.closeFd(p.pidfd);
}

/** SIGKILL recorded processes through pidfds, each checked against its start time; wait until gone. */
async function killAll(u: UndoContext, refs: ProcessRef[]): Promise<void> {
  for (const ref of refs) {
    let pidfd: number;
    try {
      pidfd = u.host.pidfdOpen(ref.pid);
    } catch {
      continue; // gone
    }
    try {
      // Checked after opening: if the start time still matches, the pidfd is that very process.
      if (u.host.processAlive(ref)) u.host.signal(pidfd, 9);
    } finally {
      u.host.closeFd(pidfd);
    }
  }
  const until = Date.now() + (u.killWaitMs ?? 10_000);
  while (refs.some((r) => u.host.processAlive(r))) {
    if (Date.now() > until)
      throw new Error(
        `processes ${refs
          .filter((r) => u.host.processAlive(r))
          .map((p) => p.pid)
          .join(', ')} did not die`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lazily detach a mount point until it is not one (it may be mounted several times). */
export function unmountAll(host: Host, target: string): void {
  for (let i = 0; i < 16; i++) {
    try {
      host.umount(target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return; // not (any more) a mount point
      throw err;
    }
  }
}

const CONVERTED =
  "recorded by an older tspod (before the ledger): converted from the state's id range, mounts, cgroups, infra and network";

/**
 * The pod's ledger; for a state without one (an older tspod's), the ledger its recorded fields
 * mean, in the order they were made: mounts, cgroups, the infra, the network, the containers.
 */
export function ledgerOf(state: PodState): LedgerEntry[] {
  if (state.ledger) return state.ledger;
  const steps: HostStep[] = [
    ...(state.userns ? [{ kind: 'userns', length: state.userns.length, why: CONVERTED } as HostStep] : []),
    ...state.mounts.map((target): HostStep => ({
      kind: 'tmpfs',
      source: 'tmpfs',
      target,
      flags: [],
      options: '',
      why: CONVERTED,
    })),
    ...(state.cgroups.length
      ? [{ kind: 'cgroup', rel: '', dirs: [...state.cgroups], limits: {}, why: CONVERTED } as HostStep]
      : []),
    ...(state.infra
      ? [{ kind: 'infra', plan: { name: 'infra', clone: [], ops: [] }, why: CONVERTED } as HostStep]
      : []),
    ...(state.network
      ? [
          {
            kind: 'network',
            network: (state.network as NetworkAttachment).network,
            source: '',
            plugins: [],
            portMappings: [],
            hostsFile: '',
            why: CONVERTED,
          } as HostStep,
        ]
      : []),
    { kind: 'containers', names: Object.keys(state.containers), why: CONVERTED },
  ];
  const ledger = steps.map((step) => ({ step, done: true }));
  state.ledger = ledger;
  return ledger;
}
