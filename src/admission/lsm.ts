/**
 * Linux security modules on this host, and what a pod's AppArmor and SELinux settings mean here.
 *
 * An LSM is a set of kernel hooks that can refuse what plain permissions allow; AppArmor confines
 * a process by a named profile, SELinux by a label. Which are active is a fact of the node
 * (node/lsm.ts).
 *
 * What the kubelet does, and tspod with it:
 * - AppArmor on a host without it: a pod asking for any profile but Unconfined (field or
 *   annotation, RuntimeDefault included) fails admission, reason `AppArmor`, message
 *   `Cannot enforce AppArmor: AppArmor is not enabled on the host`. Unconfined, or no profile,
 *   runs.
 * - SELinux on a host without it: the options are handed to the runtime, which applies no label
 *   where SELinux is off; the pod runs. tspod does the same.
 * - On a host where the module is active, the kubelet's runtime applies the profile or label.
 *   tspod cannot apply either, so it refuses such a pod rather than run it unconfined.
 */
import { appArmorRequired, seLinuxRequested } from '../manifest/apparmor.js';
import type { Pod } from '../manifest/types.js';
import type { LsmFacts } from '../node/lsm.js';
import type { Refusal } from './types.js';

/** The refusals of the pod's AppArmor and SELinux settings on a host with these LSMs; pure. */
export function lsmRefusals(pod: Pod, lsm: LsmFacts): Refusal[] {
  const out: Refusal[] = [];
  if (appArmorRequired(pod)) {
    out.push(
      lsm.apparmor
        ? {
            reason: 'AppArmor',
            message: 'Cannot enforce AppArmor: tspod does not apply AppArmor profiles',
            detail:
              'this host enforces AppArmor; use type Unconfined, or run the pod where a runtime applies the profile',
          }
        : { reason: 'AppArmor', message: 'Cannot enforce AppArmor: AppArmor is not enabled on the host' },
    );
  }
  if (seLinuxRequested(pod) && lsm.selinux) {
    out.push({
      reason: 'SELinux',
      message: 'Cannot apply seLinuxOptions: tspod does not label processes or files, and this host enforces SELinux',
    });
  }
  return out;
}
