/**
 * The names TypeScript shares with the addon. native/abi.json is the one definition; native/gen-abi.mjs
 * turns it into the C header the addon is built with and into ./abi-names.ts, whose lists and unions
 * plans are typed with (plan/types.ts checks that its ops are exactly these). A unit test fails when
 * abi-names.ts is older than abi.json.
 */
export { MOUNT_ATTRS, MOUNT_FLAGS, NAMESPACES, OPS, SYSCALLS } from './abi-names.js';
export type { MountAttr, MountFlag, NsName, OpName, SyscallName } from './abi-names.js';
