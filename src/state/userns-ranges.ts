/**
 * Host id ranges for pods' user namespaces (`hostUsers: false`), allocated as the kubelet's
 * userns manager does (pkg/kubelet/userns).
 *
 * A pod in a user namespace gets 65536 host ids of its own: container ids 0..65535 map onto host
 * ids `hostId..hostId+65535`, the same range for uids and gids. The ranges are aligned blocks of
 * 65536; the first block (host ids 0..65535, the host's own users) is never given out, which is the
 * kubelet's default mapping when no `kubelet` entry is in /etc/subuid. The last block is not given
 * either: it holds id 4294967295, (uid_t)-1, which no mapping may contain.
 *
 * A block is claimed by creating a file named after its first host id in one directory for the
 * whole host (`/run/tspod-userns/`) with O_CREAT|O_EXCL: the kernel lets exactly one creator
 * succeed, so two pods starting at the same time (two tspod processes) never get the same block.
 * The directory is the host's, not the run root's, because host ids are the host's: two tspods with
 * different `--run-root`s (or test runs side by side) must not hand the same ids to two pods, which
 * would let the one pod's root own the other's files. The claim file names the pod (name, uid and
 * run root), so it is freed by the pod's teardown, and `gc` can free the claim of a pod that no
 * longer exists even when the pod's own state never recorded it (a crash between the claim and the
 * state save); `gc` judges only its own run root's claims, and those of run roots that are gone.
 * /run is a tmpfs, so claims die with the ranges' users at reboot.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Roots } from '../paths.js';

/** The kubelet's userNsLength: ids per pod. */
export const USERNS_LENGTH = 65536;
/** Blocks 1..LAST_BLOCK are handed out (0 is the host's; 65535 holds (uid_t)-1). */
export const LAST_BLOCK = 65534;

export interface UsernsRange {
  /** first host id: container id 0 */
  hostId: number;
  length: number;
}

export interface RangeClaim {
  pod: string;
  uid: string;
  /** the run root of the tspod that holds the pod (written by claimRange) */
  runRoot?: string;
}

/** The host's claims directory, unless the roots name another (unit tests, which run without root). */
export const DEFAULT_CLAIMS_DIR = '/run/tspod-userns';

export function claimsDir(roots: Roots): string {
  return roots.idRangesDir ?? DEFAULT_CLAIMS_DIR;
}

/** The `/proc/<pid>/uid_map` (and gid_map) line of a range: container 0 → hostId, `length` ids. */
export function idMapLine(r: UsernsRange): string {
  return `0 ${r.hostId} ${r.length}`;
}

/** The host id a container id has in the range (fsGroup's host gid, the owner of a pod's emptyDir). */
export function hostIdOf(r: UsernsRange, containerId: number): number {
  if (!Number.isInteger(containerId) || containerId < 0 || containerId >= r.length) {
    throw new RangeError(`id ${containerId} is outside the pod's user namespace (0..${r.length - 1})`);
  }
  return r.hostId + containerId;
}

/** Claim the lowest free block for the pod. Throws when every block is taken. */
export function claimRange(roots: Roots, claim: RangeClaim, lastBlock = LAST_BLOCK): UsernsRange {
  const dir = claimsDir(roots);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let block = 1; block <= lastBlock; block++) {
    const hostId = block * USERNS_LENGTH;
    let fd: number;
    try {
      fd = fs.openSync(
        path.join(dir, String(hostId)),
        fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY,
        0o600,
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new Error(`claiming host ids ${hostId}.. for the user namespace of pod "${claim.pod}"`, { cause: err });
    }
    try {
      fs.writeSync(fd, JSON.stringify({ ...claim, runRoot: roots.runRoot }) + '\n');
    } finally {
      fs.closeSync(fd);
    }
    return { hostId, length: USERNS_LENGTH };
  }
  throw new Error(
    `no free range of ${USERNS_LENGTH} host ids for the user namespace of pod "${claim.pod}" ` +
      `(${lastBlock} ranges in use)`,
  );
}

/** The block a claim would get now, without claiming it (what `--dry-run` shows). */
export function peekRange(roots: Roots, lastBlock = LAST_BLOCK): UsernsRange | undefined {
  for (let block = 1; block <= lastBlock; block++) {
    const hostId = block * USERNS_LENGTH;
    if (!fs.existsSync(path.join(claimsDir(roots), String(hostId)))) return { hostId, length: USERNS_LENGTH };
  }
  return undefined;
}

/** Who holds a block; undefined when it is free (or its claim file is unreadable: a half-written claim). */
export function readClaim(roots: Roots, hostId: number): RangeClaim | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(claimsDir(roots), String(hostId)), 'utf8')) as RangeClaim;
    return typeof c.pod === 'string' && typeof c.uid === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Free the block, only if this pod (by uid) holds it: a stale teardown never frees another pod's range. */
export function releaseRange(roots: Roots, range: UsernsRange, podUid: string): boolean {
  const held = readClaim(roots, range.hostId);
  if (held?.uid !== podUid) return false;
  fs.rmSync(path.join(claimsDir(roots), String(range.hostId)), { force: true });
  return true;
}

/** Every claimed block, with its holder (undefined: an unreadable claim file). */
export function listClaims(roots: Roots): { hostId: number; claim?: RangeClaim }[] {
  let names: string[];
  try {
    names = fs.readdirSync(claimsDir(roots));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .map((n) => ({ hostId: Number(n), claim: readClaim(roots, Number(n)) }))
    .sort((a, b) => a.hostId - b.hostId);
}

/**
 * `gc`: free the blocks whose pod is gone. `alive(claim)` says whether the holder still exists (a
 * pod directory with that name and uid); a claim file that cannot be read is a crash inside
 * claimRange, between create and write, and is freed too once it is old enough not to be a claim
 * being written right now. Returns the freed host ids.
 */
const HALF_WRITTEN_GRACE_MS = 10_000;

function youngerThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < ms;
  } catch {
    return false;
  }
}

/** Is the claim another run root's, whose tspod still exists to judge it? */
function othersToJudge(roots: Roots, claim: RangeClaim): boolean {
  return claim.runRoot !== undefined && claim.runRoot !== roots.runRoot && fs.existsSync(claim.runRoot);
}

export function freeStaleRanges(roots: Roots, alive: (c: RangeClaim) => boolean): number[] {
  const freed: number[] = [];
  for (const { hostId, claim } of listClaims(roots)) {
    if (claim && othersToJudge(roots, claim)) continue;
    // What is left is this run root's, or a gone run root's (whose pods are gone with it).
    const ours = claim !== undefined && (claim.runRoot === undefined || claim.runRoot === roots.runRoot);
    const keep = claim
      ? ours && alive(claim)
      : youngerThan(path.join(claimsDir(roots), String(hostId)), HALF_WRITTEN_GRACE_MS);
    if (keep) continue;
    fs.rmSync(path.join(claimsDir(roots), String(hostId)), { force: true });
    freed.push(hostId);
  }
  return freed;
}
