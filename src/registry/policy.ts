/**
 * `imagePullPolicy`, as the kubelet applies it, and what tspod adds for hosts without a registry.
 *
 * The API server defaults the policy from the reference (manifest/defaults.ts): `Always` for
 * `:latest` (even beside a digest) or neither tag nor digest, else `IfNotPresent`. The kubelet then:
 * - `Never`: uses the image in the store, or fails with `ErrImageNeverPull`;
 * - `IfNotPresent`: uses the image in the store, else pulls;
 * - `Always`: asks the registry what the reference means now (a pull whose layers are mostly or
 *   entirely in the store already) and runs that.
 * A failed pull is `ErrImagePull`. `run --pull=always|missing|never` overrides every container's
 * policy for one run, as podman's `--pull` does.
 *
 * ARCHITECTURE §13: a single-host tool must keep running the images it built or imported when it
 * is offline. So when a pull the policy asks for cannot reach the registry at all (no address, a
 * refused connection, a timeout, a registry blocked by the host configuration) — not when the
 * registry answers "unauthorized" or "manifest unknown" — and the store has the image, the stored
 * image runs and a warning says so.
 */
import type { PullPolicy } from '../manifest/types.js';
import type { ImageRecord, ImageStore } from '../image/store.js';
import { RegistryUnreachable } from './http.js';

export type PullOverride = 'always' | 'missing' | 'never';

export const PULL_OVERRIDES: PullOverride[] = ['always', 'missing', 'never'];

const OVERRIDE_POLICY: Record<PullOverride, PullPolicy> = { always: 'Always', missing: 'IfNotPresent', never: 'Never' };

export function effectivePolicy(policy: PullPolicy, override?: PullOverride): PullPolicy {
  return override ? OVERRIDE_POLICY[override] : policy;
}

/** A pull failure as the kubelet reports it (the waiting reason, and the message). */
export class ImagePullError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'ErrImageNeverPull',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EnsureContext {
  store: ImageStore;
  pull: (image: string) => Promise<ImageRecord>;
  warn: (line: string) => void;
}

/** The image a container runs under `policy`: from the store, pulled, or stored while offline. */
export async function ensureImage(image: string, policy: PullPolicy, ctx: EnsureContext): Promise<ImageRecord> {
  const stored = ctx.store.find(image);
  if (policy === 'Never') {
    if (stored) return stored;
    throw new ImagePullError(
      'ErrImageNeverPull',
      `ErrImageNeverPull: image "${image}" is not present with pull policy of Never`,
    );
  }
  if (policy === 'IfNotPresent' && stored) return stored;
  const start = Date.now();
  try {
    const pulled = await ctx.pull(image);
    return { ...pulled, pull: { how: 'pulled', seconds: (Date.now() - start) / 1000 } };
  } catch (err) {
    if (err instanceof RegistryUnreachable && stored) {
      ctx.warn(
        `image "${image}": ${err.message}; running the image in the store (${stored.id}) without checking the registry`,
      );
      return { ...stored, pull: { how: 'offline', message: err.message } };
    }
    const where = stored ? '' : ` is not in the store (${ctx.store.paths.dir}), and pulling it failed`;
    throw new ImagePullError(
      'ErrImagePull',
      `ErrImagePull: image "${image}"${where || ': pull failed'}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
