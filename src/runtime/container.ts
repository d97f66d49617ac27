/**
 * Starting one container instance in a running sandbox.
 *
 * An instance is one run of a container: a restart is a new instance, with a fresh overlay upper
 * layer (Kubernetes semantics: a restarted container starts from the image again; volumes keep
 * their data), a new cgroup and a new log file. The process itself is made by the addon from the
 * container's plan (plan/container.ts); here we prepare what the plan refers to, connect its
 * stdout/stderr to pipes, and hand back its pid and pidfd.
 */
import { containerStdio, type StdioEnds } from './container-stdio.js';
import type { Container } from '../manifest/types.js';
import type { ImageRecord } from '../image/store.js';
import { formatPlan } from '../plan/format.js';
import { idmappedLayerDir } from '../plan/pod-inputs.js';
import { ownUpperLayer } from './userns.js';
import type { Plan } from '../plan/types.js';
import { toNativePlan } from './execute.js';
import type { InstanceDirs } from '../layout.js';
import type { ExecContext } from '../state/types.js';
import { stepError, type Sandbox } from './sandbox.js';
import { collectDeadInstances } from './dead-containers.js';

export interface ContainerProcess {
  name: string;
  instance: number;
  pid: number;
  pidfd: number;
  /** the supervisor's ends of its stdin, stdout and stderr (container-stdio.ts) */
  stdout: number;
  stderr?: number;
  stdin?: number;
  tty: boolean;
  cgroupDirs: string[];
  dirs: InstanceDirs;
  terminationLog: string;
  startedAt: string;
  exec: ExecContext;
}

/** A start failure of the container's own making (its command): exit status 126/127, not 125. */
export class CannotRunError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

export { CreateContainerConfigError, limitsOf, podContainerPlan, type PlanContext } from './container-plan.js';
import { limitsOf, podContainerPlan } from './container-plan.js';

/** The parts of a container's plan that a process joining it later must repeat. */
function execContext(plan: Plan, cgroupProcs: string[]): ExecContext {
  const exec = plan.ops.find((o) => o.op === 'exec');
  const chdir = plan.ops.find((o) => o.op === 'chdir');
  const cred = plan.ops.find((o) => o.op === 'credentials');
  const seccomp = plan.ops.find((o) => o.op === 'seccomp');
  if (exec?.op !== 'exec' || chdir?.op !== 'chdir' || cred?.op !== 'credentials')
    throw new Error(`plan of "${plan.name}" is incomplete`);
  return {
    env: exec.env,
    workingDir: chdir.target,
    capabilities: cred.bounding.map(String),
    ...(cred.uid !== undefined ? { user: { uid: cred.uid, gid: cred.gid ?? 0, groups: cred.groups ?? [] } } : {}),
    noNewPrivs: plan.ops.some((o) => o.op === 'noNewPrivs'),
    cgroupProcs,
    ...(plan.ops.some((o) => o.op === 'setns' && o.ns.includes('user')) ? { userns: true } : {}),
    ...(seccomp?.op === 'seccomp'
      ? { seccomp: { profile: seccomp.profile, filter: seccomp.filter, instructions: seccomp.instructions } }
      : {}),
  };
}

async function prepareInstance(
  sb: Sandbox,
  c: Container,
  image: ImageRecord,
  instance: number,
): Promise<{ dirs: InstanceDirs; cgroup: { dirs: string[]; procs: string[] } }> {
  const { host } = sb.opts;
  const dirs = sb.layout.instance(c.name, instance);
  // Only the last terminated instance is kept (for `logs --previous`), as the kubelet's GC does.
  if (instance >= 2) await collectDeadInstances(host, sb.layout, c.name, instance);
  // The overlay's upper and work directories must be on the same file system, and fresh.
  await host.remove(dirs.dir);
  for (const d of [dirs.upper, dirs.work, dirs.rootfs]) await host.mkdir(d);
  if (sb.userns) {
    await ownUpperLayer(dirs.upper, sb.userns.range);
    // Mount points for the idmapped image layers, in the container's own mount namespace only.
    for (let i = 0; i < image.lowerDirs.length; i++) await host.mkdir(idmappedLayerDir(dirs, i));
  }
  await host.writeFile(sb.layout.terminationLog(c.name, instance), '', 0o666);
  const cgroup = await host.createCgroup(`${sb.cgroup}/${c.name}-${instance}`, limitsOf(c), (d) => sb.recordCgroup(d));
  return { dirs, cgroup };
}

/** Remove what an ended instance leaves: its cgroup (killing stragglers) and its layers. */
export async function cleanupInstance(sb: Sandbox, p: ContainerProcess): Promise<void> {
  await sb.opts.host.removeCgroups(p.cgroupDirs);
  sb.opts.state.cgroups = sb.opts.state.cgroups.filter((d) => !p.cgroupDirs.includes(d));
  await sb.opts.host.remove(p.dirs.upper);
  await sb.opts.host.remove(p.dirs.work);
}

function spawnPlan(sb: Sandbox, c: Container, plan: Plan): { pid: number; pidfd: number } & StdioEnds {
  const { host } = sb.opts;
  const stdio = containerStdio(host, c);
  let p: { pid: number; pidfd: number };
  try {
    p = host.spawn(
      toNativePlan(plan, {
        infraPidfd: sb.infra?.pidfd,
        usernsFd: sb.userns?.fd,
        stdio: stdio.child,
        consoleSocket: stdio.consoleSocket,
      }),
    );
  } catch (e) {
    stdio.abort();
    const code = (e as { code?: string; op?: string }).op === 'exec' ? (e as { code?: string }).code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new CannotRunError(`container "${c.name}": command not found`, 127, { cause: e });
    if (code === 'EACCES' || code === 'ENOEXEC' || code === 'EPERM')
      throw new CannotRunError(`container "${c.name}": command cannot be executed`, 126, { cause: e });
    throw stepError(`container "${c.name}"`, plan, e);
  }
  try {
    return { ...p, ...stdio.started() };
  } catch (e) {
    // The process runs but its terminal is lost: it must not run on unsupervised.
    host.signal(p.pidfd, 9);
    void host.waitExit(p.pidfd).then(() => host.closeFd(p.pidfd));
    throw e;
  }
}

export async function startContainer(
  sb: Sandbox,
  c: Container,
  image: ImageRecord,
  instance: number,
): Promise<ContainerProcess> {
  const { dirs, cgroup } = await prepareInstance(sb, c, image, instance);
  try {
    const plan = podContainerPlan(sb, c, image, instance, cgroup.procs);
    for (const line of formatPlan(plan)) sb.opts.explain(line);
    const p = spawnPlan(sb, c, plan);
    sb.opts.explain(`${c.name}: running as pid ${p.pid}`);
    return {
      name: c.name,
      instance,
      ...p,
      cgroupDirs: cgroup.dirs,
      dirs,
      terminationLog: sb.layout.terminationLog(c.name, instance),
      startedAt: new Date().toISOString(),
      exec: execContext(plan, cgroup.procs),
    };
  } catch (err) {
    await sb.opts.host.removeCgroups(cgroup.dirs).catch(() => undefined);
    sb.opts.state.cgroups = sb.opts.state.cgroups.filter((d) => !cgroup.dirs.includes(d));
    await sb.opts.host.remove(dirs.upper);
    await sb.opts.host.remove(dirs.work);
    throw err;
  }
}
