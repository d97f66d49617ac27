/**
 * From a parsed manifest (any JSON value) to a `Pod` that tspod can run, or a `ManifestError`
 * listing everything that is wrong with it.
 *
 * Three passes, each reporting all it finds:
 *
 * 1. the walk over the field table (`supported.ts`): types, formats, ranges, allowed values,
 *    required fields, unknown fields (typos) and unsupported ones, and rules inside one object;
 * 2. the API server's defaults (`defaults.ts`);
 * 3. the rules across the pod (`rules.ts`): unique names, volume references, host ports...
 *
 * The second and third passes run even when the first found problems, on what could be read, so a
 * typo and a missing volume are reported together. Only when the manifest lacks the `metadata` or
 * the `spec` object altogether is there nothing for them to look at.
 */
import { ManifestError } from './errors.js';
import { applyDefaults } from './defaults.js';
import { checkPod } from './rules.js';
import { POD } from './supported.js';
import type { Pod } from './types.js';
import { isPlainObject, walk, type WalkContext } from './walk.js';

export interface ValidateOptions {
  /** Turn unsupported fields that cannot weaken isolation into warnings. */
  ignoreUnsupported?: boolean;
}

export interface ValidatedPod {
  pod: Pod;
  /** One line per ignored field, `path: message`. */
  warnings: string[];
}

export function validatePod(obj: unknown, opts: ValidateOptions = {}): ValidatedPod {
  const ctx: WalkContext = { issues: [], warnings: [], ignoreUnsupported: opts.ignoreUnsupported ?? false };
  const cleaned = walk(POD, obj, '', ctx);
  if (!isPlainObject(cleaned) || !isPlainObject(cleaned.metadata) || !isPlainObject(cleaned.spec)) {
    // The walk has said why (a missing or mistyped metadata or spec); this line only guards that.
    throw new ManifestError(ctx.issues.length ? ctx.issues : [{ path: '(root)', message: 'not a v1 Pod' }]);
  }
  const pod = applyDefaults(cleaned);
  ctx.issues.push(...checkPod(pod));
  if (ctx.issues.length > 0) throw new ManifestError(ctx.issues);
  return { pod, warnings: ctx.warnings };
}
