/**
 * The whole pod as one plan: a pure function from the pod (its state record: name, uid, spec), its
 * images and the host's facts (facts.ts) to
 *
 *   { hostSteps, infra, containers }
 *
 * the host steps (plan/host-steps.ts) that the executor records and runs (ledger.ts), the infra's
 * process plan, and each container's first instance: its cgroup (limits, device policy) and its
 * process plan (namespaces, mounts, credentials, seccomp profile). `--dry-run` prints all of it;
 * a run executes the host steps, and each container's plan again at each start (instance N).
 *
 * Why the host steps come in this order:
 *
 *   directories → (id range) → /etc files → /dev/shm → volumes → (id shift) → cgroups → infra →
 *   network → containers
 *
 * the infra's plan needs its root directory and cgroup; containers need the files, /dev/shm,
 * volumes and the infra's namespaces; the network is attached to the infra's network namespace,
 * which exists only once the infra runs, and the pod IP it yields goes into /etc/hosts. Teardown
 * is the same list backwards: containers killed first, DEL while the netns is still pinned, the
 * infra stopped, the cgroups removed once empty, volumes and /dev/shm unmounted before the
 * directories under them are removed.
 */
import { podCgroupLimits } from './pod-cgroup.js';
import { plannedCgroup } from '../cgroups/cgroups.js';
import type { ImageRecord } from '../image/store.js';
import type { Pod, Volume } from '../manifest/types.js';
import { hostNetworkHostsFile, hostsFile, podDomain, portMappings, resolvConf } from '../network/index.js';
import type { HostStep } from '../plan/host-steps.js';
import { infraPlan } from '../plan/infra.js';
import { infraInput, podHostnameOn, volumeSource } from '../plan/pod-inputs.js';
import type { Plan } from '../plan/types.js';
import type { PodLayout } from '../layout.js';
import type { HostFacts } from './facts.js';
import { limitsOf, podContainerPlan, type PlanContext } from './container-plan.js';
import type { Limits } from '../cgroups/limits.js';
import { ownUserNamespace } from '../manifest/user-namespace.js';
import { idMapLine, USERNS_LENGTH, type UsernsRange } from '../state/userns-ranges.js';

export interface PlannedContainer {
  name: string;
  /** the first instance's cgroup: its limits and device policy */
  cgroup: { rel: string; dirs: string[]; limits: Limits };
  /** the seccomp profile its processes run under ("Unconfined": none) */
  seccomp: string;
  plan: Plan;
}

export interface PodPlan {
  hostSteps: HostStep[];
  infra: Plan;
  containers: PlannedContainer[];
  /** what planning noticed (a resolv.conf trimmed to the kubelet's limits, ...) */
  warnings: string[];
}

export interface HostStepInput {
  pod: Pod;
  uid: string;
  layout: PodLayout;
  facts: HostFacts;
}

/** The pod's cgroup (tspod/<uid>), relative to each hierarchy. */
export const podCgroup = (uid: string) => `tspod/${uid}`;

/*
 * The pod's data directory is root's alone (0700), as the run root's pod directory is: below it
 * are files a container made as root, or as the pod's root through an idmapped mount, which are
 * owned by host root on disk and may be set-user-ID (an upper layer, an emptyDir, the termination
 * log). No host user may reach them to run them, whatever the mode of the data root above.
 */
function directorySteps(l: PodLayout): HostStep[] {
  const why =
    "the pod's directories: state, /etc files and /dev/shm in the run root, volumes, layers and logs in the data root";
  return [
    { kind: 'mkdir', path: l.dataDir, mode: 0o700, keep: true, why },
    {
      kind: 'mkdir',
      path: l.volumesDir,
      why: "the pod's volumes (emptyDir, configMap, ...) live here until the pod ends",
    },
    { kind: 'mkdir', path: l.containersDir, why: "each container instance's overlay layers (upper, work) live here" },
    {
      kind: 'mkdir',
      path: l.logsDir,
      keep: true,
      why: "the containers' logs outlive the pod's teardown (tspod logs), until rm",
    },
    {
      kind: 'mkdir',
      path: l.etcDir,
      keep: true,
      why: '/etc/hosts, /etc/hostname and /etc/resolv.conf, bind-mounted into every container',
    },
    { kind: 'mkdir', path: l.infraRoot, why: "the infra's root: an empty directory to pivot into" },
  ];
}

/** /etc/hosts before the network is attached (the pod IP is added once CNI gave one). */
export function podHostsFile(pod: Pod, facts: Pick<HostFacts, 'hostname' | 'hostHosts'>, podIPs: string[]): string {
  return pod.spec.hostNetwork
    ? hostNetworkHostsFile({ hostHosts: facts.hostHosts, hostAliases: pod.spec.hostAliases })
    : hostsFile({
        podIPs,
        hostname: podHostnameOn(pod, facts.hostname),
        domain: podDomain(pod.spec.subdomain, pod.metadata.namespace),
        hostAliases: pod.spec.hostAliases,
      });
}

function etcSteps(pod: Pod, l: PodLayout, facts: HostFacts, warn: (w: string) => void): HostStep[] {
  const resolv = resolvConf(
    {
      hostResolvConf: facts.hostResolvConf,
      dnsPolicy: pod.spec.dnsPolicy,
      dnsConfig: pod.spec.dnsConfig,
      hostNetwork: pod.spec.hostNetwork,
    },
    warn,
  );
  return [
    {
      kind: 'writeFile',
      path: l.hostname,
      content: `${podHostnameOn(pod, facts.hostname)}\n`,
      why: "the pod's hostname, as every container reads it",
    },
    {
      kind: 'writeFile',
      path: l.hosts,
      content: podHostsFile(pod, facts, []),
      why: "the pod's /etc/hosts (rewritten with the pod IP once the network is attached)",
    },
    {
      kind: 'writeFile',
      path: l.resolvConf,
      content: resolv,
      why: `the pod's resolv.conf (dnsPolicy ${pod.spec.dnsPolicy ?? 'ClusterFirst'})`,
    },
  ];
}

function volumeType(v: Volume): string {
  const types = [
    'hostPath',
    'persistentVolumeClaim',
    'configMap',
    'secret',
    'downwardAPI',
    'projected',
    'emptyDir',
    'image',
  ];
  const type = types.find((t) => (v as unknown as Record<string, unknown>)[t] !== undefined) ?? 'emptyDir';
  if (v.emptyDir?.medium === 'Memory')
    return `emptyDir on a tmpfs${v.emptyDir.sizeLimit ? ` of ${v.emptyDir.sizeLimit}` : ''} (medium Memory)`;
  return type === 'secret' || type === 'projected' ? `${type} on a tmpfs (its files never reach a disk)` : type;
}

function volumeSteps(pod: Pod, l: PodLayout): HostStep[] {
  return pod.spec.volumes.map((v) => ({
    kind: 'volume',
    volume: v.name,
    type: volumeType(v),
    path: volumeSource(pod, l, v.name),
    why: 'made once for the pod, before any container starts: each container that mounts it binds the same directory',
  }));
}

function cgroupSteps(pod: Pod, uid: string, facts: HostFacts): HostStep[] {
  const pod0 = podCgroup(uid);
  const limits = podCgroupLimits(pod);
  return [
    {
      kind: 'cgroup',
      rel: pod0,
      dirs: plannedCgroup(pod0, facts.cgroups).dirs,
      limits,
      why: Object.keys(limits).length
        ? "the pod's cgroup, with its pod-level limits: the containers' are made inside it"
        : "the pod's cgroup: the containers' are made inside it",
    },
    {
      kind: 'cgroup',
      rel: `${pod0}/infra`,
      dirs: plannedCgroup(`${pod0}/infra`, facts.cgroups).dirs,
      limits: {},
      why: "the infra's own cgroup (on cgroup v2 a cgroup with children may not hold processes)",
    },
  ];
}

function networkSteps(pod: Pod, l: PodLayout, facts: HostFacts): HostStep[] {
  if (pod.spec.hostNetwork || !facts.network) return [];
  const n = facts.network;
  return [
    {
      kind: 'network',
      network: n.name,
      source: n.source,
      plugins: n.plugins,
      portMappings: portMappings(pod.spec.containers),
      hostsFile: l.hosts,
      why: 'after the infra: the plugins attach its network namespace (pinned first, so DEL works even once the infra is gone)',
    },
  ];
}

/** The infra's process plan, given where its cgroup is (and, hostUsers: false, the pod's id range). */
export function podInfraPlan(
  pod: Pod,
  layout: PodLayout,
  facts: { pauseBinary: string; cgroupProcs: string[]; userns?: UsernsRange },
): Plan {
  const idMap = facts.userns ? idMapLine(facts.userns) : undefined;
  return infraPlan(
    infraInput(pod, layout, {
      pauseBinary: facts.pauseBinary,
      cgroupProcs: facts.cgroupProcs,
      ...(idMap ? { idMap } : {}),
    }),
  );
}

/* hostUsers: false: the range before anything is owned by it; the emptyDirs given to it once made. */
function usernsSteps(pod: Pod): { claim: HostStep[]; shift: HostStep[] } {
  if (!ownUserNamespace(pod)) return { claim: [], shift: [] };
  const emptyDirs = pod.spec.volumes.filter((v) => v.emptyDir).map((v) => v.name);
  return {
    claim: [
      {
        kind: 'userns',
        length: USERNS_LENGTH,
        why: "before anything is owned by the pod's ids (its emptyDirs, the infra's user namespace); no other pod gets them",
      },
    ],
    shift: emptyDirs.length
      ? [
          {
            kind: 'idShift',
            volumes: emptyDirs,
            why: 'after the volumes are made: what the containers write there keeps their mapped ids, the host never sees root',
          },
        ]
      : [],
  };
}

/** The pod's host steps (pure). */
export function podHostSteps(i: HostStepInput, warn: (w: string) => void = () => undefined): HostStep[] {
  const { pod, layout: l, facts } = i;
  const cgroups = cgroupSteps(pod, i.uid, facts);
  const infraCgroup = plannedCgroup(`${podCgroup(i.uid)}/infra`, facts.cgroups);
  const userns = usernsSteps(pod);
  return [
    ...directorySteps(l),
    ...userns.claim,
    ...etcSteps(pod, l, facts, warn),
    { kind: 'mkdir', path: l.shm, keep: true, why: "the mount point of the pod's /dev/shm" },
    {
      kind: 'tmpfs',
      source: 'shm',
      target: l.shm,
      flags: ['NOSUID', 'NODEV', 'NOEXEC'],
      options: 'mode=1777,size=65536k',
      why: 'one /dev/shm for the pod (64 MiB): every container binds it, so they share POSIX shared memory as they share the IPC namespace',
    },
    ...volumeSteps(pod, l),
    ...userns.shift,
    ...cgroups,
    {
      kind: 'infra',
      plan: podInfraPlan(pod, l, {
        pauseBinary: facts.pauseBinary,
        cgroupProcs: infraCgroup.procs,
        userns: facts.userns,
      }),
      why: "the pause process holds the pod's namespaces for its whole life; containers join them",
    },
    ...networkSteps(pod, l, facts),
    {
      kind: 'containers',
      names: [...pod.spec.initContainers, ...pod.spec.containers].map((c) => c.name),
      why: 'last: the containers need everything above; their processes are killed first at teardown',
    },
  ];
}

/** The whole pod (pure, given the facts in `ctx`): what `--dry-run` prints. */
export function podPlan(ctx: PlanContext, images: Record<string, ImageRecord>): PodPlan {
  const warnings: string[] = [];
  const state = ctx.opts.state;
  const hostSteps = podHostSteps({ pod: ctx.pod, uid: state.uid, layout: ctx.layout, facts: ctx.facts }, (w) =>
    warnings.push(w),
  );
  const infra = hostSteps.find((s): s is Extract<HostStep, { kind: 'infra' }> => s.kind === 'infra')!;
  const containers = [...ctx.pod.spec.initContainers, ...ctx.pod.spec.containers].map((c): PlannedContainer => {
    const rel = `${podCgroup(state.uid)}/${c.name}-0`;
    const cg = plannedCgroup(rel, ctx.facts.cgroups);
    const image = images[c.name];
    if (!image) throw new Error(`container "${c.name}": no image was pulled for it`);
    const plan = podContainerPlan(ctx, c, image, 0, cg.procs);
    const filter = plan.ops.find((o) => o.op === 'seccomp');
    return {
      name: c.name,
      cgroup: { rel, dirs: cg.dirs, limits: limitsOf(c) },
      seccomp: filter?.op === 'seccomp' ? filter.profile : 'Unconfined',
      plan,
    };
  });
  return { hostSteps, infra: infra.plan, containers, warnings };
}
