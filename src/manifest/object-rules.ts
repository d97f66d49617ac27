/**
 * Rules across the fields of one object, attached to its node in the table: "exactly one volume
 * type", "value or valueFrom", "requests within limits", and the security contradictions that the
 * API server refuses.
 *
 * Presence is judged on the object as written (`raw`), so that a volume of an unsupported type
 * (`configMap`) is reported once, as unsupported, and not a second time as "no volume type".
 * Values are read from the cleaned object, where every field present has the right type.
 */
import { divisorIssue } from './downward.js';
import type { Issue } from './errors.js';
import { parseQuantity } from './quantity.js';
import type { Rules } from './schema.js';
import { normalizeCapability } from './security.js';

function present(raw: Record<string, unknown>, names: readonly string[]): string[] {
  return names.filter((n) => raw[n] !== undefined && raw[n] !== null);
}

/** Exactly one of `names` must be set; `what` (a singular noun) names the choice in messages. */
export function exactlyOne(names: readonly string[], what: string): Rules {
  return (_cleaned, raw) => {
    const set = present(raw, names);
    const [first, second] = set;
    if (first === undefined) return [{ path: '', message: `must specify a ${what}` }];
    if (second === undefined) return [];
    return [{ path: second, message: `may not be set together with ${first}: specify only one ${what}` }];
  };
}

/** At most one of `names` may be set (`subPath` and `subPathExpr`). */
export function atMostOne(names: readonly string[]): Rules {
  return (_cleaned, raw) => {
    const [first, second] = present(raw, names).filter((n) => raw[n] !== '');
    return second !== undefined ? [{ path: second, message: `may not be set together with ${first}` }] : [];
  };
}

export const valueOrValueFrom: Rules = (_cleaned, raw) => {
  const hasValue = typeof raw.value === 'string' && raw.value !== '';
  if (hasValue && raw.valueFrom !== undefined && raw.valueFrom !== null) {
    return [{ path: 'valueFrom', message: 'may not be specified when value is not empty' }];
  }
  return [];
};

export const requestsWithinLimits: Rules = (cleaned) => {
  const limits = (cleaned.limits ?? {}) as Record<string, string>;
  const requests = (cleaned.requests ?? {}) as Record<string, string>;
  const issues: Issue[] = [];
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (name.includes('/')) {
      // An extended resource cannot be overcommitted: the request is the limit.
      if (limit === undefined)
        issues.push({
          path: `limits[${name}]`,
          message: `must be set for the extended resource ${name} (it cannot be overcommitted)`,
        });
      else if (parseQuantity(request) !== parseQuantity(limit))
        issues.push({ path: `requests[${name}]`, message: `must be equal to ${name} limit of ${limit}` });
      continue;
    }
    if (limit !== undefined && parseQuantity(request) > parseQuantity(limit)) {
      issues.push({ path: `requests[${name}]`, message: `request ${request} is more than the limit ${limit}` });
    }
  }
  return issues;
};

/** `allowPrivilegeEscalation: false` is a promise that `privileged` and `CAP_SYS_ADMIN` break. */
export const escalationRules: Rules = (cleaned) => {
  if (cleaned.allowPrivilegeEscalation !== false) return [];
  const issues: Issue[] = [];
  if (cleaned.privileged === true) {
    issues.push({ path: 'allowPrivilegeEscalation', message: 'may not be false when privileged is true' });
  }
  const add = ((cleaned.capabilities as { add?: string[] } | undefined)?.add ?? []).map(normalizeCapability);
  if (add.includes('CAP_SYS_ADMIN') || add.includes('ALL')) {
    issues.push({
      path: 'allowPrivilegeEscalation',
      message: 'may not be false when capabilities.add includes SYS_ADMIN',
    });
  }
  return issues;
};

/** A resourceFieldRef's divisor must be one the API server allows for its resource. */
export const divisorRule: Rules = (cleaned) => {
  if (typeof cleaned.resource !== 'string' || typeof cleaned.divisor !== 'string') return [];
  const problem = divisorIssue(cleaned.resource, cleaned.divisor);
  return problem ? [{ path: 'divisor', message: problem }] : [];
};
