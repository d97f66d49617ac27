/**
 * What the API server refuses in a probe (pkg/apis/core/validation, validateProbe and the checks
 * of liveness, readiness and startup probes): exactly one handler; a liveness or startup probe
 * needs `successThreshold: 1` (a container is not restarted "after two failures and then..."); a
 * readiness probe never kills, so it takes no `terminationGracePeriodSeconds`.
 */
import { constants } from 'node:os';
import type { Issue } from './errors.js';
import { exactlyOne } from './object-rules.js';
import type { Rules } from './schema.js';

const oneHandler = exactlyOne(['exec', 'httpGet', 'tcpSocket', 'grpc'], 'handler');

export const livenessRules: Rules = (cleaned, raw) => {
  const issues: Issue[] = oneHandler(cleaned, raw);
  if (cleaned.successThreshold !== undefined && cleaned.successThreshold !== 1) {
    issues.push({
      path: 'successThreshold',
      message: `invalid value ${cleaned.successThreshold as number}: must be 1`,
    });
  }
  return issues;
};

export const readinessRules: Rules = (cleaned, raw) => {
  const issues: Issue[] = oneHandler(cleaned, raw);
  if (cleaned.terminationGracePeriodSeconds !== undefined) {
    issues.push({ path: 'terminationGracePeriodSeconds', message: 'must not be set for readinessProbes' });
  }
  return issues;
};

/** The signals `lifecycle.stopSignal` may name: Linux's, by their SIG names (as the API server lists them). */
export const STOP_SIGNALS: readonly string[] = Object.keys(constants.signals).filter(
  (s) => s.startsWith('SIG') && s !== 'SIGUNUSED',
);
