/**
 * Running one CNI plugin, as the CNI specification describes the protocol.
 *
 * A plugin is an executable. It gets its instructions from environment variables (`CNI_COMMAND`
 * ADD, DEL, CHECK or VERSION; `CNI_CONTAINERID`; `CNI_NETNS`, a path to the network namespace;
 * `CNI_IFNAME`, the interface to create in it; `CNI_ARGS`, `key=value;...`; `CNI_PATH`, where
 * *it* finds the plugins it delegates to, such as the IPAM plugin) and its configuration as JSON on
 * standard input. On success it prints a result on standard output (nothing for DEL) and exits 0;
 * on failure it prints `{"code", "msg", "details"}` and exits non-zero.
 *
 * The plugins are separate processes, which matters here: they enter the pod's network namespace
 * themselves (Go plugins lock an OS thread and `setns`), so tspod's multithreaded Node process
 * never has to.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CniCommand, NetConfList, PluginConf } from './types.js';

/** A failure reported by a plugin: its error code and message, as the CNI specification defines. */
export class CniError extends Error {
  override name = 'CniError';
  constructor(
    readonly plugin: string,
    readonly command: CniCommand,
    readonly network: string,
    /** the plugin's error code (1-99 are the specification's: 3 unknown container, 11 try again...) */
    readonly code: number | undefined,
    readonly msg: string,
    readonly details?: string,
  ) {
    const code_ = code !== undefined ? ` (code ${code})` : '';
    const details_ = details ? `: ${details}` : '';
    super(`cni plugin "${plugin}" ${command} on network "${network}" failed${code_}: ${msg}${details_}`);
  }
}

/** The executable for a plugin type: the first `<dir>/<type>` that can be run. */
export function findPlugin(type: string, dirs: string[]): string | undefined {
  if (type.includes('/') || type === '.' || type === '..') return undefined;
  for (const dir of dirs) {
    const file = path.join(dir, type);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface PluginCall {
  command: CniCommand;
  containerId: string;
  /** path of the pinned network namespace; '' when there is none left (DEL only) */
  netns: string;
  ifName: string;
  args: [string, string][];
  pluginDirs: string[];
}

/** `K8S_POD_NAME=x;K8S_POD_NAMESPACE=y`: the format of `CNI_ARGS`. */
export function formatCniArgs(args: [string, string][]): string {
  return args.map(([k, v]) => `${k}=${v}`).join(';');
}

/** PATH with the system's directories added at its end: iptables and ip live in sbin. */
export function systemPath(value: string | undefined): string {
  const dirs = (value ?? '').split(':').filter((d) => d !== '');
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!dirs.includes(d)) dirs.push(d);
  }
  return dirs.join(':');
}

/**
 * The plugin's environment: ours (plugins run `iptables`, so PATH matters) without any CNI_* we
 * happen to carry, plus the call's CNI_* variables.
 */
export function pluginEnv(call: PluginCall, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !k.startsWith('CNI_')) env[k] = v;
  env.PATH = systemPath(env.PATH);
  Object.assign(env, {
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.netns,
    CNI_IFNAME: call.ifName,
    CNI_ARGS: formatCniArgs(call.args),
    CNI_PATH: call.pluginDirs.join(':'),
  });
  return env;
}

/**
 * A plugin's standard input: its own configuration with the list's `name` and `cniVersion`, the
 * `runtimeConfig` of the capabilities it declares (only those, as libcni does), and `prevResult`.
 */
export function pluginStdin(
  list: NetConfList,
  plugin: PluginConf,
  extra: { capabilityArgs?: Record<string, unknown>; prevResult?: unknown },
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, value] of Object.entries(extra.capabilityArgs ?? {})) {
    if (plugin.capabilities?.[cap] === true) runtimeConfig[cap] = value;
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  else delete conf.runtimeConfig;
  if (extra.prevResult !== undefined && extra.prevResult !== null) conf.prevResult = extra.prevResult;
  else delete conf.prevResult;
  return conf;
}

interface Output {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** How long a plugin may run before it is killed: they do netlink and iptables work only. */
export const PLUGIN_TIMEOUT_MS = 120_000;

function run(file: string, env: Record<string, string>, stdin: string): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: PLUGIN_TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a plugin that exits without reading: its status tells
    child.on('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(stdin);
  });
}

/** The CniError for a failed run: the plugin's JSON error when it printed one, else its stderr. */
export function pluginFailure(type: string, command: CniCommand, network: string, o: Output): CniError {
  try {
    const e = JSON.parse(o.stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof e.msg === 'string') {
      const code = typeof e.code === 'number' ? e.code : undefined;
      return new CniError(type, command, network, code, e.msg, typeof e.details === 'string' ? e.details : undefined);
    }
  } catch {
    // not JSON: fall back to what it wrote
  }
  const how = o.signal ? `killed by ${o.signal}` : `exit status ${o.status}`;
  const text = (o.stderr.trim() || o.stdout.trim() || 'no output').split('\n').slice(-5).join(' | ');
  return new CniError(type, command, network, undefined, `${how}, ${text}`);
}

/**
 * Runs plugin `plugin` of `list` with `call`, writing `stdin`. Resolves with its parsed output
 * (undefined when it printed nothing, as DEL does).
 */
export async function execPlugin(
  list: NetConfList,
  plugin: PluginConf,
  call: PluginCall,
  stdin: Record<string, unknown>,
): Promise<unknown> {
  const file = findPlugin(plugin.type, call.pluginDirs);
  if (!file) {
    throw new Error(
      `cni plugin "${plugin.type}" of network "${list.name}" is not installed in ${call.pluginDirs.join(', ')}`,
    );
  }
  let o: Output;
  try {
    o = await run(file, pluginEnv(call), JSON.stringify(stdin));
  } catch (err) {
    throw new Error(`running cni plugin "${file}"`, { cause: err });
  }
  if (o.status !== 0) throw pluginFailure(plugin.type, call.command, list.name, o);
  if (o.stdout.trim() === '') return undefined;
  try {
    return JSON.parse(o.stdout);
  } catch (err) {
    throw new Error(
      `cni plugin "${plugin.type}" ${call.command} printed something that is not JSON: ${o.stdout.slice(0, 200)}`,
      {
        cause: err,
      },
    );
  }
}
