/**
 * The Pod manifest, from text to the spec tspod runs: parsing, validation with field paths,
 * Kubernetes defaults, and the process each container runs. Pure, apart from `loadManifest`
 * reading its file or standard input; no root, no syscalls.
 */
export { ManifestError, type Issue } from './errors.js';
export { parseManifest, loadManifest, type LoadOptions } from './parse.js';
export { validatePod, type ValidateOptions, type ValidatedPod } from './validate.js';
export { applyDefaults, defaultPullPolicy } from './defaults.js';
export { parseQuantity, parseCpuMillis, isQuantity } from './quantity.js';
export { podHostname } from './names.js';
export { expandVars, type Lookup } from './expand.js';
export { resolveProcess, mergeEnv, DEFAULT_PATH } from './process.js';
export { normalizeCapability, CAPABILITIES, SAFE_SYSCTLS } from './security.js';
export { POD as POD_SCHEMA } from './supported.js';
export type * from './types.js';
export { loadObjects, expandSource, type LoadedObjects, type ObjectFile } from './objects.js';
export { noConfig, type ConfigObjects } from './config-objects.js';
export { checkEnvRefs, ConfigRefError } from './config-env.js';
export {
  readWorkload,
  selectorMatches,
  WORKLOAD_KINDS,
  WORKLOAD_SCHEMAS,
  API_VERSION,
  type Workload,
  type WorkloadKind,
  type JobSpec,
} from './workloads.js';
export {
  workloadPods,
  jobPod,
  jobLabels,
  replicaSetName,
  podTemplateHash,
  revisionHash,
  generateName,
  randomSuffix,
  NAME_ALPHABET,
} from './workload-pods.js';
