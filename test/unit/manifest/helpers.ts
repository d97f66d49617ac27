/**
 * Shared test material: a small valid manifest to mutate, and a way to get the issues (or
 * warnings) that validation produces for a manifest.
 */
import { ManifestError, validatePod, type Issue } from '../../../src/manifest/index.js';

/** Manifests under test are plain JSON of any shape. */
export type Json = any;

/** A valid two-container pod with a volume, fresh for every call. */
export function basePod(): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        {
          name: 'server',
          image: 'nginx:1.25',
          ports: [{ containerPort: 80, name: 'http' }],
          volumeMounts: [{ name: 'data', mountPath: '/usr/share/nginx/html' }],
        },
        {
          name: 'writer',
          image: 'busybox',
          command: ['sh', '-c', 'echo hi > /data/index.html'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
    },
  };
}

/** The issues validation reports for `obj` ([] when it is valid). */
export function issuesOf(obj: unknown, opts: { ignoreUnsupported?: boolean } = {}): Issue[] {
  try {
    validatePod(obj, opts);
    return [];
  } catch (err) {
    if (err instanceof ManifestError) return err.issues;
    throw err;
  }
}

/** The issues as `path: message` lines, the way the error prints them. */
export function linesOf(obj: unknown, opts: { ignoreUnsupported?: boolean } = {}): string[] {
  return issuesOf(obj, opts).map((i) => `${i.path}: ${i.message}`);
}

/** Applies `edit` to a fresh base pod and returns the issue lines. */
export function linesAfter(edit: (pod: Json) => void, opts: { ignoreUnsupported?: boolean } = {}): string[] {
  const pod = basePod();
  edit(pod);
  return linesOf(pod, opts);
}
