/**
 * The seccomp step of a container: which profile, read from where, resolved for this container.
 *
 * - `RuntimeDefault` (tspod's default for every container that does not say otherwise) is
 *   src/seccomp/runtime-default.json, shipped with tspod.
 * - `Localhost` reads `<root>/seccomp/<localhostProfile>` (the role of the kubelet's
 *   `<root-dir>/seccomp`), in the same JSON format.
 * - `Unconfined`, and every privileged container (as containerd and CRI-O do: a privileged
 *   container gets no filter whatever it asks for), load no filter.
 *
 * The profile is resolved for the container's bounding capabilities (so capability-conditional
 * rules follow `capabilities.add`/`drop`), the host's architecture and kernel, and the system
 * calls the host's libseccomp knows; the addon compiles it (before clone) and --dry-run shows its
 * size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SeccompChoice } from '../manifest/seccomp.js';
import { kernel } from '../kernel.js';
import { PACKAGE_DIR, type Roots } from '../paths.js';
import type { SeccompStep } from '../plan/inputs.js';
import { NODE_ARCH, parseProfile, resolveFilter, type SeccompFilter, type SeccompProfile } from './profile.js';
import { nth } from '../checked.js';

export const DEFAULT_PROFILE_FILE = path.join(PACKAGE_DIR, 'src', 'seccomp', 'runtime-default.json');

/** Where Localhost profiles live: `<root>/seccomp/`. */
export function profileDir(roots: Roots): string {
  return path.join(roots.root, 'seccomp');
}

let runtimeDefault: SeccompProfile | undefined;
const knownCache = new Map<string, boolean>();

function readProfile(file: string, where: string): SeccompProfile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${where}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: ${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseProfile(json, where);
}

function known(names: string[]): (name: string) => boolean {
  const ask = [...new Set(names)].filter((n) => !knownCache.has(n));
  if (ask.length > 0) kernel.seccompKnown(ask).forEach((k, i) => knownCache.set(nth(ask, i), k)); // one answer per name asked
  return (n) => knownCache.get(n) ?? false;
}

export interface SeccompFacts {
  roots: Roots;
  /** the container's bounding set (CAP_ names) */
  capabilities: readonly string[];
  privileged: boolean;
}

/** The seccomp step of a container, or undefined when it runs unconfined. */
export function seccompStep(choice: SeccompChoice, f: SeccompFacts): SeccompStep | undefined {
  const { profile } = choice;
  if (profile.type === 'Unconfined' || f.privileged) return undefined;
  const where = `seccomp profile (${choice.from})`;
  let p: SeccompProfile;
  let label: string;
  if (profile.type === 'Localhost') {
    p = readProfile(path.join(profileDir(f.roots), profile.localhostProfile!), where);
    label = `Localhost ${profile.localhostProfile}`;
  } else {
    runtimeDefault ??= readProfile(DEFAULT_PROFILE_FILE, 'RuntimeDefault');
    p = runtimeDefault;
    label = 'RuntimeDefault';
  }
  const arch = NODE_ARCH[process.arch];
  if (!arch) throw new Error(`${where}: no seccomp architecture known for ${process.arch}`);
  const filter = resolveFilter(
    p,
    {
      capabilities: f.capabilities,
      arch,
      kernel: os.release(),
      known: known(p.syscalls.flatMap((r) => r.names)),
    },
    where,
  );
  const instructions = compiledFilter(filter).length / 8;
  return { profile: label, filter, instructions };
}

/** Programs compiled in this process, by their filter's JSON (the containers of a pod share one). */
const compiled = new Map<string, Buffer>();

/**
 * The BPF program of `filter`, compiled once per process (issue 15): libseccomp takes milliseconds
 * per compile, and the filter was compiled for its size at planning and again at each spawn. The
 * addon's spawn takes this program as it is (runtime/execute.ts).
 */
export function compiledFilter(filter: SeccompFilter): Buffer {
  const key = JSON.stringify(filter);
  let program = compiled.get(key);
  if (!program) {
    program = kernel.seccompCompile(filter);
    compiled.set(key, program);
  }
  return program;
}
