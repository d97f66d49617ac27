import { validatePod } from '../../../src/manifest/index.js';
import type { Pod } from '../../../src/manifest/types.js';
import { podLayout } from '../../../src/layout.js';

export const roots = { root: '/var/lib/tspod', runRoot: '/run/tspod' };

export function pod(spec: Record<string, unknown>, name = 'web'): Pod {
  return validatePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec }).pod;
}

export const layout = (name = 'web') => podLayout(roots, name);

export const image = {
  lowerDirs: ['/var/lib/tspod/images/layers/sha256/b2/diff', '/var/lib/tspod/images/layers/sha256/b1/diff'],
  config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
};

export const proc = { argv: ['sh', '-c', 'true'], env: ['PATH=/usr/bin:/bin'], workingDir: '/' };
