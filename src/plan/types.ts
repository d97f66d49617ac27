/**
 * A plan: everything one new process will do between clone() and execve(), as plain data.
 *
 * Plans are built by pure functions (plan/*.ts) from the manifest and facts about the host, printed
 * by `tspod run --dry-run`, narrated by `--explain`, and executed by the addon, which runs the ops
 * in order in the cloned child. The op names and their fields are the addon's (native/abi.json,
 * native/plan.h); `why` is for people and is never sent to the addon.
 */

import type { SeccompFilter } from '../seccomp/profile.js';
import type { MountAttr, MountFlag, NsName, OpName as AbiOpName } from './abi-names.js';

// Namespace kinds (the kernel's names, `/proc/<pid>/ns/<name>`), mount attributes and flags: the
// addon's lists, generated from native/abi.json.
export type { MountAttr, MountFlag, NsName };

interface Why {
  /** one line for `--explain`: why this step, and why here */
  why?: string;
}

/** File types a bind source can be required to have (hostPath types, without the *OrCreate part). */
export type SourceType = 'directory' | 'file' | 'socket' | 'charDevice' | 'blockDevice';

export type NativeOp = Why &
  (
    | { op: 'setns'; target: string; ns: NsName[]; fd?: number }
    | { op: 'unshare'; ns: NsName[] }
    | { op: 'fork' }
    | { op: 'writeFile'; target: string; data: string; optional?: boolean }
    | { op: 'mount'; source: string; target: string; fstype?: string; flags?: MountFlag[]; data?: string }
    | { op: 'openRoot'; target: string }
    | { op: 'mountFs'; source: string; target: string; options?: [string, string][]; attrs?: MountAttr[] }
    | {
        op: 'bind';
        source: string;
        subPath?: string;
        target: string;
        readOnly?: boolean;
        attrs?: MountAttr[];
        /** the file type the source must have, checked on the fd the bind is made from (a hostPath `type`) */
        sourceType?: SourceType;
        /** seen through the pod's user namespace (an idmapped mount); `fd` is filled in by the executor */
        idmap?: boolean;
        fd?: number;
      }
    /** wait until the parent wrote the new user namespace's uid_map and gid_map (lines "inside outside count") */
    | { op: 'awaitIdMap'; uidMap: string; gidMap: string }
    /** become uid/gid of the current user namespace, no supplementary groups */
    | { op: 'setresuid'; uid: number; gid: number }
    /** a read-only idmapped copy of `source` at the host path `target` (an image layer for overlayfs) */
    | { op: 'idmapMount'; source: string; target: string; fd?: number }
    | { op: 'mknod'; target: string; mode: number; major: number; minor: number }
    | { op: 'symlink'; target: string; data: string }
    | { op: 'pivotRoot' }
    | { op: 'maskPath'; target: string; optional?: boolean }
    | { op: 'readOnlyPath'; target: string; optional?: boolean }
    | { op: 'sethostname'; data: string }
    | { op: 'loopbackUp' }
    | { op: 'chdir'; target: string; create?: 'dir' }
    | {
        op: 'credentials';
        uid?: number;
        gid?: number;
        groups?: number[];
        /** capability names (CAP_CHOWN, ...) as the plan shows them; numbers when sent to the addon */
        bounding: (string | number)[];
        effective: (string | number)[];
        permitted: (string | number)[];
        inheritable: (string | number)[];
      }
    | { op: 'noNewPrivs' }
    | { op: 'closeFds' }
    | { op: 'setsid'; fd?: number }
    /** open a terminal in the container's devpts, send its master over the socket `fd`, put its slave on 0-2 */
    | { op: 'console'; fd?: number }
    | { op: 'sessionKeyring' }
    | {
        op: 'seccomp';
        /** what the filter is, for people: "RuntimeDefault", "Localhost profiles/audit.json" */
        profile: string;
        /** the resolved rules the addon compiles with libseccomp (src/seccomp/profile.ts) */
        filter: SeccompFilter;
        /** size of the compiled BPF program, in instructions (shown by --dry-run) */
        instructions?: number;
        /** the filter compiled (added at spawn, runtime/execute.ts): the addon loads it as it is */
        program?: Buffer;
      }
    | { op: 'exec'; target: string; argv: string[]; env: string[]; searchPath?: string }
  );

/** Equal when each of two unions of names has every member of the other. */
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type MustHold<T extends true> = T;
/**
 * The typecheck fails unless the ops above are exactly the addon's (abi.json): an op the addon
 * does not know, or one it executes that plans cannot express.
 */
export type OpsAreTheAddons = MustHold<SameNames<NativeOp['op'], AbiOpName>>;

export type OpName = NativeOp['op'];

/** The plan of one process: the infra, or one container instance. */
export interface Plan {
  /** "infra", or the container's name */
  name: string;
  /** namespaces created by clone(); the others are inherited, or joined by setns ops */
  clone: NsName[];
  ops: NativeOp[];
}
