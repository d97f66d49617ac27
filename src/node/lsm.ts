/**
 * The Linux security modules active on this host (a fact of the node, like its capacity).
 *
 * The kernel lists them in securityfs (`/sys/kernel/security/lsm`, when securityfs is mounted);
 * AppArmor also says so in `/sys/module/apparmor/parameters/enabled` (`Y`), which is what the
 * kubelet reads (through runc's apparmor.IsEnabled), and SELinux mounts selinuxfs at
 * `/sys/fs/selinux`. admission/lsm.ts decides what a pod's settings mean here.
 */
import fs from 'node:fs';

export interface LsmFacts {
  /** the active LSMs as the kernel lists them; undefined when securityfs is not mounted */
  lsms?: string[];
  apparmor: boolean;
  selinux: boolean;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The host's LSMs, from securityfs, the AppArmor module parameter and selinuxfs. */
export function hostLsmFacts(): LsmFacts {
  const lsms = read('/sys/kernel/security/lsm')?.trim().split(',').filter(Boolean);
  const apparmor =
    (read('/sys/module/apparmor/parameters/enabled') ?? '').startsWith('Y') || (lsms?.includes('apparmor') ?? false);
  const selinux = fs.existsSync('/sys/fs/selinux/enforce') || (lsms?.includes('selinux') ?? false);
  return { ...(lsms ? { lsms } : {}), apparmor, selinux };
}
