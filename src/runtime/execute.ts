/**
 * From a plan (data, as printed) to the addon's input: the infra's pidfd goes where a step joins
 * the infra, capability names become numbers, and the people-only `why` is dropped.
 *
 * Every plan gets a deadline: the addon blocks the event loop until the child reaches execve, so a
 * child stuck in a step (a FIFO nobody opens, a hung network mount) must not freeze the supervisor.
 * A healthy plan takes milliseconds; the limit is far above what a loaded host needs.
 *
 * Every plan's execve goes through the sealed helper (native/exec-helper.c), so that no container
 * process's /proc/self/exe ever names the host's node (CVE-2019-5736).
 */
import type { NativePlan } from '../kernel.js';
import { EXEC_HELPER } from '../paths.js';
import { capNumber } from '../plan/capabilities.js';
import type { NativeOp, Plan } from '../plan/types.js';
import { compiledFilter } from '../seccomp/index.js';

export interface ExecuteFacts {
  /** pidfd of the infra process, for `setns` steps that target "infra" */
  infraPidfd?: number;
  /** pidfds of other processes by name (`tspod exec` joins a container's namespaces) */
  pidfds?: Record<string, number>;
  stdio: [number, number, number];
  /** an fd of the pod's user namespace (/proc/<infra>/ns/user), for idmapped mounts */
  usernsFd?: number;
  /** the socket a `console` step sends the container's terminal master over */
  consoleSocket?: number;
  /** override SPAWN_TIMEOUT_MS */
  timeoutMs?: number;
}

/** How long a child may take from clone to execve before it is killed. */
export const SPAWN_TIMEOUT_MS = 30_000;

function nativeOp(op: NativeOp, facts: ExecuteFacts): NativeOp {
  const { why: _why, ...rest } = op;
  if (rest.op === 'setns') {
    const fd = rest.target === 'infra' ? facts.infraPidfd : facts.pidfds?.[rest.target];
    if (fd === undefined) throw new Error(`plan step setns: no pidfd for "${rest.target}"`);
    return { ...rest, fd };
  }
  if ((rest.op === 'bind' && rest.idmap) || rest.op === 'idmapMount') {
    if (facts.usernsFd === undefined)
      throw new Error(`plan step ${rest.op} ${rest.target}: no user namespace to idmap with`);
    return { ...rest, fd: facts.usernsFd };
  }
  if (rest.op === 'console') {
    if (facts.consoleSocket === undefined) throw new Error('plan step console: no console socket');
    return { ...rest, fd: facts.consoleSocket };
  }
  if (rest.op === 'seccomp') return { ...rest, program: compiledFilter(rest.filter) };
  if (rest.op === 'credentials') {
    return {
      ...rest,
      bounding: rest.bounding.map(capNumber),
      effective: rest.effective.map(capNumber),
      permitted: rest.permitted.map(capNumber),
      inheritable: rest.inheritable.map(capNumber),
    };
  }
  return rest;
}

export function toNativePlan(plan: Plan, facts: ExecuteFacts): NativePlan {
  return {
    clone: plan.clone,
    stdio: facts.stdio,
    ops: plan.ops.map((op) => nativeOp(op, facts)),
    timeoutMs: facts.timeoutMs ?? SPAWN_TIMEOUT_MS,
    execHelper: EXEC_HELPER,
  };
}
