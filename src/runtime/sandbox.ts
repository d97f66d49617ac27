/**
 * The pod sandbox: everything a pod has before its first container starts, and after its last one
 * ended (the CRI calls it the same). In order:
 *
 *   directories → /etc files → the shared /dev/shm → volumes → cgroups → infra → network
 *
 * Why this order: the infra's plan needs its root directory and cgroup; containers need the files,
 * /dev/shm, volumes and the infra's namespaces; the network is attached to the infra's network
 * namespace, which exists only once the infra runs, and the pod IP it yields goes into /etc/hosts.
 * Each step pushes its undo, and a failure unwinds what was done, last first. Everything mounted on
 * the host is recorded in the pod's state before it is mounted, so that `gc` can undo it even if
 * this process is killed halfway.
 */
import { noConfig, type ConfigObjects } from '../manifest/config-objects.js';
import fs from 'node:fs';
import os from 'node:os';
import { attachPod, detachPod, hostIPs, hostNetworkHostsFile, hostsFile, podDomain, portMappings, readHostResolvConf, resolvConf, type NetworkAttachment } from '../network/index.js';
import { PAUSE_BINARY, type Roots } from '../paths.js';
import { formatPlan } from '../plan/format.js';
import { infraPlan } from '../plan/infra.js';
import { infraInput, podHostnameOn, podNamespaces } from '../plan/pod-inputs.js';
import type { Plan } from '../plan/types.js';
import type { DownwardFacts, Pod } from '../manifest/types.js';
import { nodeAllocatable } from './allocatable.js';
import { podCgroupLimits } from './pod-cgroup.js';
import type { PodState } from '../state/types.js';
import { processRef } from '../state/store.js';
import { toNativePlan } from './execute.js';
import type { Host } from './host.js';
import type { ImageRecord } from '../image/store.js';
import { podLayout, type PodLayout } from '../layout.js';
import { Undo } from './undo.js';
import { prepareVolumes } from './volumes.js';
import { claimPodRange, shiftEmptyDirs } from './userns.js';
import { idMapLine, type UsernsRange } from '../state/userns-ranges.js';

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
}

export class Sandbox {
  readonly layout: PodLayout;
  readonly undo = new Undo();
  infra?: { pid: number; pidfd: number };
  /** hostUsers: false: the pod's host ids, and an fd of its user namespace once the infra made it */
  userns?: { range: UsernsRange; fd?: number };
  podIP?: string;
  /** the pod's cgroup, relative to each hierarchy (tspod/<uid>) */
  readonly cgroup: string;

  constructor(readonly opts: SandboxOptions) {
    this.layout = podLayout(opts.roots, opts.state.name);
    this.cgroup = `tspod/${opts.state.uid}`;
  }

  get config(): ConfigObjects {
    return this.opts.config ?? noConfig();
  }

  get pod(): Pod {
    return this.opts.state.pod;
  }

  /** What the downward API reads about this pod now (the addresses only once the network is up). */
  downwardFacts(): DownwardFacts {
    const pod = this.pod;
    const status = this.opts.state.status;
    return {
      podName: pod.metadata.name, namespace: pod.metadata.namespace, uid: this.opts.state.uid,
      labels: pod.metadata.labels ?? {}, annotations: pod.metadata.annotations ?? {},
      podIP: this.podIP ?? status.podIP, podIPs: status.podIPs?.map((p) => p.ip),
      hostIP: status.hostIP, hostIPs: status.hostIP ? [status.hostIP] : [],
      nodeName: pod.spec.nodeName ?? os.hostname(), serviceAccountName: pod.spec.serviceAccountName,
      allocatable: nodeAllocatable(this.opts.roots.root), containers: [...pod.spec.initContainers, ...pod.spec.containers],
    };
  }

  /** Build the sandbox; on failure everything done so far is undone before the error is thrown. */
  async start(): Promise<void> {
    try {
      await this.makeDirectories();
      // The id range before anything is owned by it (the emptyDirs, the infra's namespace).
      const range = await claimPodRange({ ...this.opts, undo: this.undo });
      if (range) this.userns = { range };
      await this.writeEtcFiles();
      await this.mountShm();
      await prepareVolumes(
        { host: this.opts.host, layout: this.layout, undo: this.undo, recordMount: (t) => this.recordMount(t), explain: this.opts.explain, config: this.config, downward: this.downwardFacts(), images: this.opts.images },
        this.pod,
      );
      if (range) await shiftEmptyDirs(this.pod, this.layout, range, this.opts.explain);
      await this.startInfra();
      await this.attachNetwork();
    } catch (err) {
      const undoErrors = await this.teardown();
      for (const e of undoErrors) this.opts.warn(String(e));
      throw err;
    }
  }

  /** Undo everything, last first. Returns the undo steps that failed. */
  async teardown(): Promise<Error[]> {
    return this.undo.unwind((what) => this.opts.explain(`undo: ${what}`));
  }

  async recordMount(target: string): Promise<void> {
    this.opts.state.mounts.push(target);
    await this.opts.save();
  }

  /** Record a cgroup directory in the state before it is made. */
  async recordCgroup(dir: string): Promise<void> {
    if (!this.opts.state.cgroups.includes(dir)) this.opts.state.cgroups.push(dir);
    await this.opts.save();
  }

  private async makeDirectories(): Promise<void> {
    const { host } = this.opts;
    const l = this.layout;
    this.opts.explain(`pod directories: ${l.runDir} (state, /etc files, /dev/shm), ${l.dataDir} (volumes, layers, logs)`);
    this.undo.push('remove the pod\'s container layers and volumes', async () => {
      await host.remove(l.containersDir);
      await host.remove(l.volumesDir);
      await host.remove(l.infraRoot);
    });
    for (const dir of [l.dataDir, l.volumesDir, l.containersDir, l.logsDir, l.etcDir, l.infraRoot]) await host.mkdir(dir);
  }

  private async writeEtcFiles(): Promise<void> {
    const l = this.layout;
    const pod = this.pod;
    this.opts.explain(`pod files: ${l.hosts}, ${l.hostname}, ${l.resolvConf} (bind-mounted into every container)`);
    await this.opts.host.writeFile(l.hostname, `${podHostnameOn(pod, os.hostname())}\n`);
    await this.writeHosts();
    const hostResolv = await readHostResolvConf().catch(() => ({ content: '' }));
    const resolv = resolvConf(
      { hostResolvConf: hostResolv.content, dnsPolicy: pod.spec.dnsPolicy, dnsConfig: pod.spec.dnsConfig, hostNetwork: pod.spec.hostNetwork },
      this.opts.warn,
    );
    await this.opts.host.writeFile(l.resolvConf, resolv);
  }

  async writeHosts(): Promise<void> {
    const pod = this.pod;
    const content = pod.spec.hostNetwork
      ? hostNetworkHostsFile({ hostHosts: fs.readFileSync('/etc/hosts', 'utf8'), hostAliases: pod.spec.hostAliases })
      : hostsFile({
          podIPs: this.opts.state.status.podIPs?.map((p) => p.ip) ?? [], hostname: podHostnameOn(pod, os.hostname()),
          domain: podDomain(pod.spec.subdomain, pod.metadata.namespace), hostAliases: pod.spec.hostAliases,
        });
    await this.opts.host.writeFile(this.layout.hosts, content);
  }

  /* One tmpfs for the pod: every container binds it on /dev/shm, so they share POSIX shared memory
   * the way they share the IPC namespace. */
  private async mountShm(): Promise<void> {
    const { host } = this.opts;
    const shm = this.layout.shm;
    this.opts.explain(`/dev/shm of the pod: tmpfs at ${shm} (64 MiB, shared by all containers)`);
    await host.mkdir(shm);
    await this.recordMount(shm);
    host.mount('shm', shm, 'tmpfs', ['NOSUID', 'NODEV', 'NOEXEC'], 'mode=1777,size=65536k');
    this.undo.push('unmount the pod\'s /dev/shm', () => host.umount(shm));
  }

  private async startInfra(): Promise<void> {
    const { host } = this.opts;
    this.undo.push('remove the pod\'s cgroups', () => host.removeCgroups(this.opts.state.cgroups));
    // The pod's own cgroup first, with its pod-level limits: the containers' are made inside it.
    const limits = podCgroupLimits(this.pod);
    if (Object.keys(limits).length) {
      this.opts.explain(`pod cgroup ${this.cgroup}: pod-level limits ${JSON.stringify(limits)}, shared by every container`);
      await host.createCgroup(this.cgroup, limits, (d) => this.recordCgroup(d));
    }
    const cg = await host.createCgroup(`${this.cgroup}/infra`, {}, (d) => this.recordCgroup(d));
    const idMap = this.userns ? idMapLine(this.userns.range) : undefined;
    const plan = infraPlan(infraInput(this.pod, this.layout, { pauseBinary: PAUSE_BINARY, cgroupProcs: cg.procs, ...(idMap ? { idMap } : {}) }));
    const infra = this.spawn(plan, host);
    this.infra = infra;
    if (this.userns) this.openUserNamespace(infra.pid);
    this.opts.state.infra = processRef(infra.pid);
    await this.opts.save();
    this.undo.push('stop the infra (pause) process', async () => {
      const exited = host.waitExit(infra.pidfd);
      host.signal(infra.pidfd, 15);
      const timer = setTimeout(() => host.signal(infra.pidfd, 9), 2000);
      await exited;
      clearTimeout(timer);
      host.closeFd(infra.pidfd);
    });
  }

  /* The infra is alive and unreaped (our child), so its pid names it: the fd is its user namespace. */
  private openUserNamespace(pid: number): void {
    const fd = fs.openSync(`/proc/${pid}/ns/user`, 'r');
    this.userns!.fd = fd;
    this.undo.push('close the pod\'s user namespace fd', () => {
      fs.closeSync(fd);
      delete this.userns!.fd;
    });
  }

  private spawn(plan: Plan, host: Host): { pid: number; pidfd: number } {
    for (const line of formatPlan(plan)) this.opts.explain(line);
    const devnull = fs.openSync('/dev/null', 'r+');
    try {
      const p = host.spawn(toNativePlan(plan, { stdio: [devnull, devnull, devnull] }));
      this.opts.explain(`infra: running as pid ${p.pid}, namespaces ${podNamespaces(this.pod).join(', ') || '(all the host\'s)'} of its own`);
      return p;
    } catch (err) {
      throw stepError('infra', plan, err);
    } finally {
      fs.closeSync(devnull);
    }
  }

  private async attachNetwork(): Promise<void> {
    if (this.pod.spec.hostNetwork) {
      // The pod is the host, network-wise: its IP is the node's (as status.podIP reports it).
      const ips = hostIPs();
      this.opts.state.status.podIPs = ips.map((ip) => ({ ip }));
      this.opts.state.status.podIP = this.podIP = ips[0];
      this.opts.explain('network: the host\'s (hostNetwork)');
      return;
    }
    if (this.opts.network === 'none' || !this.infra) {
      this.opts.explain('network: none (loopback only)');
      return;
    }
    const state = this.opts.state;
    const att = await attachPod({
      runRoot: this.opts.roots.runRoot, podName: state.name, podUid: state.uid, namespace: this.pod.metadata.namespace,
      infraPid: this.infra.pid, network: this.opts.network, portMappings: portMappings(this.pod.spec.containers),
      record: async (a: NetworkAttachment) => {
        state.network = a;
        await this.opts.save();
      },
      warn: this.opts.warn,
    }).finally(() => {
      if (state.network) this.undo.push('detach the pod from its network', () => detachPod(state.network as NetworkAttachment));
    });
    if (!att) return;
    this.podIP = att.ips[0];
    state.status.podIP = this.podIP;
    state.status.podIPs = att.ips.map((ip) => ({ ip }));
    this.opts.explain(`network "${att.network}": pod IP ${att.ips.join(', ')}`);
    await this.writeHosts();
    await this.opts.save();
  }
}

/** A failed spawn, told as the step of the plan that failed: `infra: step 7 bind ...: ENOENT: ...`. */
export function stepError(who: string, plan: Plan, err: unknown): Error {
  const e = err as { opIndex?: number; timedOut?: boolean };
  const op = e.opIndex !== undefined && e.opIndex >= 0 ? plan.ops[e.opIndex] : undefined;
  const step = op ? `step ${e.opIndex! + 1} (${op.op}${'target' in op && op.target ? ` ${op.target}` : ''})` : 'clone';
  // A typed hostPath that was something else when it was bound (it changed after tspod's check).
  const wrongType = op?.op === 'bind' && op.sourceType && (err as { syscall?: string }).syscall === 'fstat'
    ? `: ${op.source} is not a ${op.sourceType.replace(/[A-Z]/, (ch) => ` ${ch.toLowerCase()}`)} when it is bound (the type of ${op.why ?? 'the volume'})` : '';
  return new Error(`${who}: ${step} ${e.timedOut ? 'did not finish in time; the process was killed' : 'failed'}${wrongType}`, { cause: err });
}

