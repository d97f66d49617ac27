/**
 * The scheduling fields of a PodSpec, as the field table (`supported.ts`) accepts them: what a node
 * is asked to be (`nodeName`, `nodeSelector`, node affinity), what it may carry (`tolerations`),
 * where the pod stands among others (pod affinity, spread constraints), when it may be scheduled at
 * all (`schedulingGates`) and how much it matters (`priorityClassName`, `priority`).
 *
 * Their meaning on this node is src/admission/'s; here are only their shapes and the API server's
 * validation rules (operators and the values they need, toleration combinations), with its words.
 */
import type { Issue } from './errors.js';
import { dnsLabel, dnsSubdomain, labelValue, qualifiedName } from './names.js';
import type { Rules } from './schema.js';
import { requestsWithinLimits } from './object-rules.js';
import { INT32_MAX, int, list, map, obj, resourceList, str, unsupported } from './schema.js';

const labelKey = () => str({ required: true, check: qualifiedName });
const values = list(str({ check: labelValue }));

/** In and NotIn need values, Exists and DoesNotExist none, Gt and Lt exactly one. */
const operatorValues: Rules = (cleaned) => {
  const op = cleaned.operator as string | undefined;
  const n = ((cleaned.values as string[] | undefined) ?? []).length;
  if ((op === 'In' || op === 'NotIn') && n === 0)
    return [{ path: 'values', message: "must be specified when `operator` is 'In' or 'NotIn'" }];
  if ((op === 'Exists' || op === 'DoesNotExist') && n > 0)
    return [{ path: 'values', message: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" }];
  if ((op === 'Gt' || op === 'Lt') && n !== 1)
    return [{ path: 'values', message: "must be specified single value when `operator` is 'Lt' or 'Gt'" }];
  return [];
};

const nodeSelectorRequirement = obj(
  {
    key: labelKey(),
    operator: str({ required: true, values: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] }),
    values,
  },
  { rules: operatorValues },
);

/** A node's fields can be selected by one thing only: its name. */
const nodeFieldRequirement = obj(
  {
    key: str({ required: true, values: ['metadata.name'] }),
    operator: str({ required: true, values: ['In', 'NotIn'] }),
    values: list(str({ check: dnsSubdomain })),
  },
  {
    rules: (cleaned) =>
      ((cleaned.values as string[] | undefined) ?? []).length === 1
        ? []
        : [
            {
              path: 'values',
              message: "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
            },
          ],
  },
);

const nodeSelectorTerm = obj({
  matchExpressions: list(nodeSelectorRequirement),
  matchFields: list(nodeFieldRequirement),
});
const weight = () => int({ min: 1, max: 100, required: true });

export const labelSelector = obj({
  matchLabels: map(qualifiedName, { value: labelValue }),
  matchExpressions: list(
    obj(
      { key: labelKey(), operator: str({ required: true, values: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }), values },
      { rules: operatorValues },
    ),
  ),
});

const podAffinityTerm = obj({
  labelSelector,
  namespaces: list(str({ check: dnsLabel })),
  namespaceSelector: labelSelector,
  topologyKey: labelKey(),
  matchLabelKeys: list(str({ check: qualifiedName })),
  mismatchLabelKeys: list(str({ check: qualifiedName })),
});

const podAffinity = obj({
  requiredDuringSchedulingIgnoredDuringExecution: list(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: list(
    obj({ weight: weight(), podAffinityTerm: { ...podAffinityTerm, required: true } }),
  ),
});

const affinity = obj({
  nodeAffinity: obj({
    requiredDuringSchedulingIgnoredDuringExecution: obj({
      nodeSelectorTerms: list(nodeSelectorTerm, { required: true }),
    }),
    preferredDuringSchedulingIgnoredDuringExecution: list(
      obj({ weight: weight(), preference: { ...nodeSelectorTerm, required: true } }),
    ),
  }),
  podAffinity,
  podAntiAffinity: podAffinity,
});

/** The API server's rules for one toleration. */
const tolerationRules: Rules = (cleaned) => {
  const issues: Issue[] = [];
  const op = (cleaned.operator as string | undefined) ?? 'Equal';
  if (!cleaned.key && op !== 'Exists') {
    issues.push({
      path: 'operator',
      message: 'must be Exists when `key` is empty, which means "match all values and all keys"',
    });
  }
  if (cleaned.tolerationSeconds !== undefined && cleaned.effect !== 'NoExecute') {
    issues.push({ path: 'effect', message: "must be 'NoExecute' when `tolerationSeconds` is set" });
  }
  if (op === 'Exists' && cleaned.value)
    issues.push({ path: 'value', message: "must be empty when `operator` is 'Exists'" });
  return issues;
};

const toleration = obj(
  {
    key: str({ check: qualifiedName }),
    operator: str({ values: ['Equal', 'Exists'] }),
    value: str({ check: labelValue }),
    effect: str({ values: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] }),
    tolerationSeconds: int(),
  },
  { rules: tolerationRules },
);

const topologySpreadConstraint = obj(
  {
    maxSkew: int({ min: 1, max: INT32_MAX, required: true }),
    topologyKey: labelKey(),
    whenUnsatisfiable: str({ required: true, values: ['DoNotSchedule', 'ScheduleAnyway'] }),
    labelSelector,
    minDomains: int({ min: 1, max: INT32_MAX }),
    nodeAffinityPolicy: str({ values: ['Honor', 'Ignore'] }),
    nodeTaintsPolicy: str({ values: ['Honor', 'Ignore'] }),
    matchLabelKeys: list(str({ check: qualifiedName })),
  },
  {
    rules: (cleaned) =>
      cleaned.minDomains !== undefined && cleaned.whenUnsatisfiable !== 'DoNotSchedule'
        ? [{ path: 'minDomains', message: 'can only use minDomains if whenUnsatisfiable=DoNotSchedule' }]
        : [],
  },
);

/** The scheduling fields of the PodSpec node of the table. */
export const schedulingFields = {
  nodeSelector: map(qualifiedName, { value: labelValue }),
  affinity,
  tolerations: list(toleration),
  topologySpreadConstraints: list(topologySpreadConstraint),
  schedulingGates: list(obj({ name: str({ required: true, check: qualifiedName }) })),
  priorityClassName: str({ check: dnsSubdomain }),
  priority: int({ min: -INT32_MAX - 1, max: INT32_MAX }),
  preemptionPolicy: str({ values: ['PreemptLowerPriority', 'Never'] }),
  overhead: resourceList(),
};

/** Pod-level resources (Kubernetes 1.32+): cpu and memory for the pod as a whole. */
const podLevel: Rules = (cleaned) => {
  const issues = requestsWithinLimits(cleaned, cleaned);
  for (const part of ['limits', 'requests']) {
    for (const name of Object.keys((cleaned[part] ?? {}) as object)) {
      if (name !== 'cpu' && name !== 'memory')
        issues.push({
          path: `${part}[${name}]`,
          message: `resource "${name}" is not supported at the pod level (cpu and memory are)`,
        });
    }
  }
  return issues;
};

export const podResources = obj(
  { limits: resourceList(), requests: resourceList(), claims: unsupported([]) },
  { rules: podLevel },
);
