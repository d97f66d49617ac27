/**
 * The pod sandbox: everything a pod has before its first container starts, and after its last one
 * ended (the CRI calls it the same). It is the pod's host steps (pod-plan.ts: directories, /etc
 * files, /dev/shm, volumes, cgroups, the infra, the network), run by the ledger's executor
 * (ledger.ts), which records each step in the pod's state before doing it; teardown walks that
 * ledger backwards, here (the pod's end, a failed start) as in `rm` and `gc`. This module does the
 * acts that need the pod's machinery (volumes, the infra's spawn, the CNI attach) and keeps the
 * live infra's pidfd, which the supervisor's containers join.
 */
import { noConfig, type ConfigObjects } from '../manifest/config-objects.js';
import fs from 'node:fs';
import { portMappings, type NetworkAttachment } from '../network/index.js';
import type { Roots } from '../paths.js';
import { formatPlan } from '../plan/format.js';
import type { HostStep, LedgerEntry } from '../plan/host-steps.js';
import { podNamespaces } from '../plan/pod-inputs.js';
import type { Plan } from '../plan/types.js';
import type { DownwardFacts, Pod } from '../manifest/types.js';
import type { PodState } from '../state/types.js';
import { processRef } from '../state/store.js';
import { toNativePlan } from './execute.js';
import { gatherFacts, type HostFacts } from './facts.js';
import type { Host } from './host.js';
import type { ImageRecord } from '../image/store.js';
import { actSimply, runHostSteps, undoLedger } from './ledger.js';
import { podLayout, type PodLayout } from '../layout.js';
import { podHostSteps, podCgroup, podHostsFile } from './pod-plan.js';
import { prepareVolume } from './volumes.js';
import { shiftEmptyDirs } from './userns.js';
import { claimRange, idMapLine, type UsernsRange } from '../state/userns-ranges.js';
import { plannedCgroup } from '../cgroups/cgroups.js';
import { podInfraPlan } from './pod-plan.js';

export interface SandboxOptions {
  host: Host;
  roots: Roots;
  state: PodState;
  /** persist `state` (atomically) */
  save: () => Promise<void>;
  /** the CNI network, or "none" */
  network: string;
  explain: (line: string) => void;
  warn: (line: string) => void;
  /** the ConfigMaps and Secrets the pod refers to (kept in memory, never in the state file) */
  config?: ConfigObjects;
  /** the pod's images (its image volumes' among them: volumes.ts imageVolumeKey) */
  images?: Record<string, ImageRecord>;
  /** the host's facts (gathered at start when not given: a --dry-run or a test gives them) */
  facts?: HostFacts;
}

export class Sandbox {
  readonly layout: PodLayout;
  infra?: { pid: number; pidfd: number };
  /** the infra is another process's child (an adopted pod: supervisor/adopt.ts) */
  private infraAdopted = false;
  /** hostUsers: false: the pod's host ids, and an fd of its user namespace once the infra made it */
  userns?: { range: UsernsRange; fd?: number };
  podIP?: string;
  /** the pod's cgroup, relative to each hierarchy (tspod/<uid>) */
  readonly cgroup: string;
  private gathered?: HostFacts;

  constructor(readonly opts: SandboxOptions) {
    this.layout = podLayout(opts.roots, opts.state.name);
    this.cgroup = podCgroup(opts.state.uid);
    this.gathered = opts.facts;
  }

  get config(): ConfigObjects {
    return this.opts.config ?? noConfig();
  }

  get pod(): Pod {
    return this.opts.state.pod;
  }

  /** The host's facts the pod was planned with (known once start() began). */
  get facts(): HostFacts {
    if (!this.gathered) throw new Error("the sandbox has not gathered the host's facts yet");
    return this.gathered;
  }

  /** What the downward API reads about this pod now (the addresses only once the network is up). */
  downwardFacts(): DownwardFacts {
    const pod = this.pod;
    const status = this.opts.state.status;
    return {
      podName: pod.metadata.name,
      namespace: pod.metadata.namespace,
      uid: this.opts.state.uid,
      labels: pod.metadata.labels ?? {},
      annotations: pod.metadata.annotations ?? {},
      podIP: this.podIP ?? status.podIP,
      podIPs: status.podIPs?.map((p) => p.ip),
      hostIP: status.hostIP,
      hostIPs: status.hostIP ? [status.hostIP] : [],
      nodeName: pod.spec.nodeName ?? this.facts.hostname,
      serviceAccountName: pod.spec.serviceAccountName,
      allocatable: this.facts.allocatable,
      containers: [...pod.spec.initContainers, ...pod.spec.containers],
    };
  }

  /** Build the sandbox; on failure everything done so far is undone before the error is thrown. */
  async start(): Promise<void> {
    try {
      this.gathered ??= await gatherFacts(this.opts.roots, this.opts.network, this.pod);
      const steps = podHostSteps(
        { pod: this.pod, uid: this.opts.state.uid, layout: this.layout, facts: this.facts },
        this.opts.warn,
      );
      await runHostSteps({ ...this.opts, act: (entry) => this.act(entry) }, steps);
      this.hostNetworkAddresses();
      if (!steps.some((s) => s.kind === 'network') && !this.pod.spec.hostNetwork)
        this.opts.explain('network: none (loopback only)');
    } catch (err) {
      const undoErrors = await this.teardown();
      for (const e of undoErrors) this.opts.warn(String(e));
      throw err;
    }
  }

  /**
   * Take up the running infra of a pod another supervisor built (adopt.ts), by a pidfd of it
   * (checked against its start time): the containers to come join its namespaces. It is not our
   * child, so we cannot reap it: teardown kills it as the ledger records it, as gc does.
   */
  adoptInfra(pidfd: number): void {
    const ref = this.opts.state.infra;
    if (!ref) throw new Error("the pod's state records no infra to adopt");
    this.infra = { pid: ref.pid, pidfd };
    this.infraAdopted = true;
    if (this.opts.state.userns) {
      this.userns = { range: this.opts.state.userns };
      this.openUserNamespace(ref.pid);
    }
  }

  /** Undo every host step of the pod's ledger, last first. Returns the undo steps that failed. */
  async teardown(): Promise<Error[]> {
    const { host, state } = this.opts;
    const infra = this.infraAdopted ? undefined : this.infra;
    const errors = await undoLedger(
      { host, state, roots: this.opts.roots, infra, explain: this.opts.explain },
      state.ledger ?? [],
    );
    if (this.infraAdopted && this.infra) host.closeFd(this.infra.pidfd);
    this.infra = undefined;
    // (An fd of this process only: nothing a crash could leave on the host.)
    if (this.userns?.fd !== undefined) {
      fs.closeSync(this.userns.fd);
      delete this.userns.fd;
    }
    return errors;
  }

  /** Record a cgroup directory in the state before it is made. */
  async recordCgroup(dir: string): Promise<void> {
    if (!this.opts.state.cgroups.includes(dir)) this.opts.state.cgroups.push(dir);
    await this.opts.save();
  }

  private async act(entry: LedgerEntry): Promise<void> {
    const step = entry.step;
    if (step.kind === 'volume') return this.makeVolume(entry, step);
    if (step.kind === 'infra') return this.startInfra(entry, step);
    if (step.kind === 'userns') return this.claimIds();
    if (step.kind === 'idShift') {
      if (!this.userns) throw new Error("the pod's ids are shifted into a range it has not claimed");
      return shiftEmptyDirs(this.pod, this.layout, this.userns.range, this.opts.explain);
    }
    if (step.kind === 'network') return this.attachNetwork(step);
    if (step.kind === 'cgroup') {
      await this.opts.host.createCgroup(step.rel, step.limits, (d) => this.recordCgroup(d));
      return;
    }
    if (!(await actSimply(this.opts.host, this.opts.state, step)))
      throw new Error(`no act for host step "${step.kind}"`);
  }

  private async makeVolume(entry: LedgerEntry, step: Extract<HostStep, { kind: 'volume' }>): Promise<void> {
    const v = this.pod.spec.volumes.find((x) => x.name === step.volume);
    if (!v) throw new Error(`volume "${step.volume}" is not defined in spec.volumes`);
    const recordMount = async (target: string) => {
      (entry.mounts ??= []).push(target);
      this.opts.state.mounts.push(target);
      await this.opts.save();
    };
    await prepareVolume(
      {
        host: this.opts.host,
        layout: this.layout,
        recordMount,
        explain: this.opts.explain,
        config: this.config,
        downward: this.downwardFacts(),
        images: this.opts.images,
      },
      this.pod,
      v,
    );
  }

  /* Claimed now (its file made with O_EXCL, so concurrent pods never share one), then recorded;
   * a crash in between leaves a claim whose pod has no record of it, which gc frees as stale. */
  private async claimIds(): Promise<void> {
    const state = this.opts.state;
    const range = claimRange(this.opts.roots, { pod: state.name, uid: state.uid });
    state.userns = range;
    this.userns = { range };
    await this.opts.save();
    this.opts.explain(
      `user namespace: container ids 0..${range.length - 1} are host ids ${range.hostId}..${range.hostId + range.length - 1} (uid_map and gid_map "${idMapLine(range)}")`,
    );
  }

  private async startInfra(entry: LedgerEntry, step: Extract<HostStep, { kind: 'infra' }>): Promise<void> {
    let plan = step.plan;
    if (this.userns && !sameRange(this.userns.range, this.facts.userns)) {
      // The range claimed is not the one the plan was made with (another pod took that one since).
      const procs = plannedCgroup(`${this.cgroup}/infra`, this.facts.cgroups).procs;
      plan = podInfraPlan(this.pod, this.layout, {
        pauseBinary: this.facts.pauseBinary,
        cgroupProcs: procs,
        userns: this.userns.range,
      });
      entry.step = { ...step, plan };
    }
    const infra = this.spawn(plan, this.opts.host);
    this.infra = infra;
    if (this.userns) this.openUserNamespace(infra.pid);
    this.opts.state.infra = processRef(infra.pid);
    await this.opts.save();
  }

  /* The infra is alive and unreaped (our child, or held by a pidfd checked against its start time),
   * so its pid names it: the fd is its user namespace. */
  private openUserNamespace(pid: number): void {
    this.userns!.fd = fs.openSync(`/proc/${pid}/ns/user`, 'r');
  }

  private spawn(plan: Plan, host: Host): { pid: number; pidfd: number } {
    for (const line of formatPlan(plan)) this.opts.explain(line);
    const devnull = fs.openSync('/dev/null', 'r+');
    try {
      const p = host.spawn(toNativePlan(plan, { stdio: [devnull, devnull, devnull] }));
      this.opts.explain(
        `infra: running as pid ${p.pid}, namespaces ${podNamespaces(this.pod).join(', ') || "(all the host's)"} of its own`,
      );
      return p;
    } catch (err) {
      throw stepError('infra', plan, err);
    } finally {
      fs.closeSync(devnull);
    }
  }

  /* The pod is the host, network-wise: its IP is the node's (as status.podIP reports it). */
  private hostNetworkAddresses(): void {
    if (!this.pod.spec.hostNetwork) return;
    const ips = this.facts.hostIPs;
    this.opts.state.status.podIPs = ips.map((ip) => ({ ip }));
    this.opts.state.status.podIP = this.podIP = ips[0];
    this.opts.explain("network: the host's (hostNetwork)");
  }

  private async attachNetwork(step: Extract<HostStep, { kind: 'network' }>): Promise<void> {
    if (!this.infra) throw new Error('the network is attached to the infra, which is not running');
    const state = this.opts.state;
    const att = await this.opts.host.attachNetwork({
      runRoot: this.opts.roots.runRoot,
      podName: state.name,
      podUid: state.uid,
      namespace: this.pod.metadata.namespace,
      infraPid: this.infra.pid,
      network: step.network,
      portMappings: portMappings(this.pod.spec.containers),
      record: async (a: NetworkAttachment) => {
        state.network = a;
        await this.opts.save();
      },
      warn: this.opts.warn,
    });
    if (!att) return;
    this.podIP = att.ips[0];
    state.status.podIP = this.podIP;
    state.status.podIPs = att.ips.map((ip) => ({ ip }));
    this.opts.explain(`network "${att.network}": pod IP ${att.ips.join(', ')}`);
    await this.opts.host.writeFile(step.hostsFile, podHostsFile(this.pod, this.facts, att.ips));
    await this.opts.save();
  }
}

/** A failed spawn, told as the step of the plan that failed: `infra: step 7 bind ...: ENOENT: ...`. */
export function stepError(who: string, plan: Plan, err: unknown): Error {
  const e = err as { opIndex?: number; timedOut?: boolean };
  const op = e.opIndex !== undefined && e.opIndex >= 0 ? plan.ops[e.opIndex] : undefined;
  const step = op ? `step ${e.opIndex! + 1} (${op.op}${'target' in op && op.target ? ` ${op.target}` : ''})` : 'clone';
  // A typed hostPath that was something else when it was bound (it changed after tspod's check).
  const wrongType =
    op?.op === 'bind' && op.sourceType && (err as { syscall?: string }).syscall === 'fstat'
      ? `: ${op.source} is not a ${op.sourceType.replace(/[A-Z]/, (ch) => ` ${ch.toLowerCase()}`)} when it is bound (the type of ${op.why ?? 'the volume'})`
      : '';
  return new Error(
    `${who}: ${step} ${e.timedOut ? 'did not finish in time; the process was killed' : 'failed'}${wrongType}`,
    { cause: err },
  );
}

const sameRange = (a: UsernsRange, b: UsernsRange | undefined) => !!b && a.hostId === b.hostId && a.length === b.length;
