/**
 * Kubernetes resources as cgroup files (pure): `limits.memory` → a memory limit, `limits.cpu` → a
 * CFS quota per 100 ms period, `requests.cpu` → a relative weight (v1 shares, v2 weight).
 */
import { v1DeviceFiles, type DeviceRule } from './devices.js';

export interface Limits {
  memoryBytes?: number;
  cpuMillis?: number;
  cpuRequestMillis?: number;
  /** the device policy (devices.ts); undefined: every device (privileged, the infra) */
  devices?: readonly DeviceRule[];
}

export const CFS_PERIOD_US = 100_000;

export const MIN_SHARES = 2;
export const MAX_SHARES = 262_144;

/** The kubelet's millicores → cpu.shares (MilliCPUToShares): none or too few gives 2, at most 262144. */
export function cpuShares(millis: number): number {
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((millis * 1024) / 1000)));
}

/** The runc/systemd mapping of cpu.shares [2, 262144] onto cpu.weight [1, 10000]. */
export function cpuWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

function quotaUs(millis: number): number {
  return Math.max(1000, Math.floor((millis * CFS_PERIOD_US) / 1000));
}

/** [file, value] pairs for a v1 controller hierarchy. */
export function v1Files(controller: string, l: Limits): [string, string][] {
  const out: [string, string][] = [];
  if (controller === 'memory' && l.memoryBytes !== undefined)
    out.push(['memory.limit_in_bytes', String(l.memoryBytes)]);
  if (controller === 'cpu' && l.cpuMillis !== undefined) {
    out.push(['cpu.cfs_period_us', String(CFS_PERIOD_US)], ['cpu.cfs_quota_us', String(quotaUs(l.cpuMillis))]);
  }
  if (controller === 'cpu' && l.cpuRequestMillis !== undefined)
    out.push(['cpu.shares', String(cpuShares(l.cpuRequestMillis))]);
  if (controller === 'devices' && l.devices) out.push(...v1DeviceFiles(l.devices));
  return out;
}

/** [file, value] pairs for the v2 hierarchy, given the controllers enabled there. */
export function v2Files(controllers: string[], l: Limits): [string, string][] {
  const out: [string, string][] = [];
  if (controllers.includes('memory') && l.memoryBytes !== undefined) {
    out.push(['memory.max', String(l.memoryBytes)], ['memory.swap.max', '0']);
  }
  if (controllers.includes('cpu') && l.cpuMillis !== undefined)
    out.push(['cpu.max', `${quotaUs(l.cpuMillis)} ${CFS_PERIOD_US}`]);
  if (controllers.includes('cpu') && l.cpuRequestMillis !== undefined)
    out.push(['cpu.weight', String(cpuWeight(cpuShares(l.cpuRequestMillis)))]);
  return out;
}
