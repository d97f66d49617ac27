/**
 * A pod's user namespace on the host side (`hostUsers: false`): its range of host ids, the owners
 * of what tspod makes for it, and the namespace fd that idmapped mounts are made with.
 *
 * The range (65536 host ids, state/userns-ranges.ts) is claimed before anything of the pod is
 * owned by it, recorded in the pod's state, and freed when the pod is torn down (or by `gc`). The
 * infra is cloned into a new user namespace with that mapping (plan/infra.ts); containers are built
 * by host root and join it last (plan/container.ts). Here:
 *
 * - emptyDir volumes are made owned by the pod's root (its host id), every entry's ids shifted into
 *   the range (a fsGroup's group included), so that what the containers write there is owned on the
 *   host by the ids they ran as: the host sees the mapped owner, never root.
 * - each container instance's overlay upper directory is owned by the pod's root: it is "/" of the
 *   container, and the files the container writes land there with their mapped owners.
 * - the user namespace is opened once the infra runs (/proc/<infra>/ns/user), for the idmapped
 *   mounts of the image layers, the pod's files and the config and claim volumes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ownUserNamespace } from '../manifest/user-namespace.js';
import type { Pod } from '../manifest/types.js';
import type { PodLayout } from '../layout.js';
import type { Roots } from '../paths.js';
import type { PodState } from '../state/types.js';
import { claimRange, hostIdOf, idMapLine, releaseRange, type UsernsRange } from '../state/userns-ranges.js';

export interface UsernsHost {
  roots: Roots;
  state: PodState;
  save: () => Promise<void>;
  explain: (line: string) => void;
  undo: { push(what: string, step: () => Promise<void> | void): void };
}

/** Claim the pod's id range (recorded in its state), with its release as the undo. Undefined: no user namespace. */
export async function claimPodRange(h: UsernsHost): Promise<UsernsRange | undefined> {
  if (!ownUserNamespace(h.state.pod)) return undefined;
  const range = claimRange(h.roots, { pod: h.state.name, uid: h.state.uid });
  h.undo.push(`free the user-namespace range ${range.hostId}..${range.hostId + range.length - 1}`, async () => {
    releaseRange(h.roots, range, h.state.uid);
    delete h.state.userns;
    await h.save();
  });
  h.state.userns = range;
  await h.save();
  h.explain(
    `user namespace: container ids 0..${range.length - 1} are host ids ${range.hostId}..${range.hostId + range.length - 1} (uid_map and gid_map "${idMapLine(range)}")`,
  );
  return range;
}

/** Shift every id under `dir` into the range, children first; symbolic links are changed themselves (lchown). */
async function shiftTree(dir: string, range: UsernsRange): Promise<void> {
  const st = await fs.lstat(dir);
  if (st.isDirectory()) {
    for (const name of await fs.readdir(dir)) await shiftTree(path.join(dir, name), range);
  }
  await fs.lchown(dir, hostIdOf(range, st.uid), hostIdOf(range, st.gid));
  // chown clears set-user-ID and set-group-ID bits (a fsGroup directory's setgid): put the mode back.
  if (!st.isSymbolicLink()) await fs.chmod(dir, st.mode & 0o7777);
}

/** The pod's emptyDirs, freshly made (fsGroup applied), given to the pod's ids on the host. */
export async function shiftEmptyDirs(
  pod: Pod,
  layout: PodLayout,
  range: UsernsRange,
  explain: (line: string) => void,
): Promise<void> {
  for (const v of pod.spec.volumes.filter((x) => x.emptyDir)) {
    const dir = layout.volume(v.name);
    explain(
      `volume "${v.name}": owned by the pod's root, host id ${range.hostId} (what the containers write keeps their mapped ids)`,
    );
    await shiftTree(dir, range).catch((err) => {
      throw new Error(`giving emptyDir "${v.name}" to the pod's host ids`, { cause: err });
    });
  }
}

/** A container instance's upper layer, owned by the pod's root: the container's "/" is its. */
export async function ownUpperLayer(upper: string, range: UsernsRange): Promise<void> {
  await fs.chown(upper, range.hostId, range.hostId);
}

/** Stale claims are those of pods that no longer exist (or exist under another uid: a new pod of that name). */
export function aliveClaim(pods: Map<string, string | undefined>): (c: { pod: string; uid: string }) => boolean {
  return (c) => pods.has(c.pod) && (pods.get(c.pod) === undefined || pods.get(c.pod) === c.uid);
}
