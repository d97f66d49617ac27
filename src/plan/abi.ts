/**
 * The names TypeScript shares with the addon, read from native/abi.json (the one definition;
 * native/gen-abi.mjs turns the same file into a C header). A unit test checks that the op names
 * used in plans/types.ts are exactly the addon's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_DIR } from '../paths.js';
import type { NsName } from './types.js';

export interface Abi {
  namespaces: { name: NsName; clone: string }[];
  ops: string[];
  mountAttrs: string[];
  mountFlags: string[];
  syscalls: string[];
}

export const abi: Abi = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'native', 'abi.json'), 'utf8'));

/** Namespace kinds in the kernel's order of /proc/<pid>/ns listing used by `tspod ns`. */
export const NAMESPACES: NsName[] = abi.namespaces.map((n) => n.name);
