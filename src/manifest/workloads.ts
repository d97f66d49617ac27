/**
 * Workload objects: the controllers' kinds that hold a pod template (`Deployment`, `ReplicaSet`,
 * `StatefulSet`, `DaemonSet`, `Job`), read and validated as the API server validates them.
 *
 * On a cluster the API server stores the object and a controller makes its pods from the template;
 * here the file is read once and the pods are made at once (workload-pods.ts), or, for a Job, by
 * tspod's job controller (src/workloads/). The checks are the API server's: the template's
 * `restartPolicy` the kind allows (Always for the four apps/v1 kinds; Never or OnFailure for a
 * Job), a selector for the apps/v1 kinds that must choose the template's labels, a Job's selector
 * generated (`controller-uid`) unless `manualSelector`. The template itself is validated as the
 * Pod it becomes, its issues named by their place in the workload (`spec.template.spec...`).
 *
 * A `CronJob` is refused by name: it needs a controller that makes Jobs on a schedule, and a file
 * is run once. Fields about updating a running workload (strategy, revision history, minReadySeconds)
 * are accepted and have nothing to do: tspod never updates a workload in place (run `--replace`).
 */
import { ManifestError, type Issue } from './errors.js';
import { dnsLabel, dnsSubdomain, labelValue, qualifiedName } from './names.js';
import {
  bool,
  int,
  intOrString,
  list,
  map,
  obj,
  serverSet,
  str,
  unsupported,
  ignorable,
  INT32_MAX,
  type Node,
} from './schema.js';
import { labelSelector } from './scheduling.js';
import { metadata } from './supported.js';
import type { LabelSelector } from './types.js';
import { isPlainObject, walk, type WalkContext } from './walk.js';

export const WORKLOAD_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export const API_VERSION: Record<WorkloadKind, string> = {
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
};

/** Kinds refused by name, with the reason a single node cannot run them. */
export const REFUSED_KINDS: Record<string, string> = {
  CronJob:
    'a CronJob needs a controller that creates Jobs on its schedule, ' +
    'and tspod runs what a file holds once, now (run its jobTemplate as a Job)',
};

const percentOrInt = (s: string) =>
  /^\d+%$/.test(s) ? undefined : `"${s}" must be an integer or a percentage ("25%")`;
const intOrPercent = () => intOrString({ min: 0, max: INT32_MAX, check: percentOrInt });
const count = () => int({ min: 0, max: INT32_MAX });

const templateMetadata = obj({
  name: str(),
  namespace: str({ check: dnsLabel }),
  generateName: str(),
  labels: map(qualifiedName, { value: labelValue }),
  annotations: map(qualifiedName, { maxBytes: 256 * 1024 }),
  finalizers: ignorable([]),
  ownerReferences: serverSet,
  uid: serverSet,
  selfLink: serverSet,
  resourceVersion: serverSet,
  generation: serverSet,
  creationTimestamp: serverSet,
  deletionTimestamp: serverSet,
  deletionGracePeriodSeconds: serverSet,
  managedFields: serverSet,
});

const claimTemplate = obj({
  apiVersion: str({ values: ['v1'] }),
  kind: str({ values: ['PersistentVolumeClaim'] }),
  metadata: {
    ...templateMetadata,
    fields: { ...templateMetadata.fields, name: str({ required: true, check: dnsLabel }) },
    required: true,
  },
  // The claim becomes a named local volume: what a storage class would provision is not asked.
  spec: obj({
    accessModes: list(str({ values: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] })),
    resources: obj({ requests: map(() => undefined), limits: map(() => undefined) }),
    storageClassName: str(),
    volumeMode: str({ values: ['Filesystem'] }),
    selector: unsupported(),
    dataSource: unsupported(),
    dataSourceRef: unsupported(),
    volumeName: unsupported(),
    volumeAttributesClassName: unsupported(),
  }),
  status: serverSet,
});

// `template` is not in these tables: it is validated as the Pod it becomes (readWorkload).
const SPECS: Record<WorkloadKind, Record<string, Node>> = {
  Deployment: {
    replicas: count(),
    selector: labelSelector,
    minReadySeconds: count(),
    revisionHistoryLimit: count(),
    progressDeadlineSeconds: int({ min: 1, max: INT32_MAX }),
    paused: bool(),
    strategy: obj({
      type: str({ values: ['Recreate', 'RollingUpdate'] }),
      rollingUpdate: obj({ maxSurge: intOrPercent(), maxUnavailable: intOrPercent() }),
    }),
  },
  ReplicaSet: { replicas: count(), selector: labelSelector, minReadySeconds: count() },
  StatefulSet: {
    replicas: count(),
    selector: labelSelector,
    serviceName: str({ check: dnsLabel }),
    minReadySeconds: count(),
    revisionHistoryLimit: count(),
    podManagementPolicy: str({ values: ['OrderedReady', 'Parallel'] }),
    updateStrategy: obj({
      type: str({ values: ['RollingUpdate', 'OnDelete'] }),
      rollingUpdate: obj({ partition: count(), maxUnavailable: intOrPercent() }),
    }),
    ordinals: obj({ start: count() }),
    volumeClaimTemplates: list(claimTemplate),
    persistentVolumeClaimRetentionPolicy: obj({
      whenDeleted: str({ values: ['Retain', 'Delete'] }),
      whenScaled: str({ values: ['Retain', 'Delete'] }),
    }),
  },
  DaemonSet: {
    selector: labelSelector,
    minReadySeconds: count(),
    revisionHistoryLimit: count(),
    updateStrategy: obj({
      type: str({ values: ['RollingUpdate', 'OnDelete'] }),
      rollingUpdate: obj({ maxSurge: intOrPercent(), maxUnavailable: intOrPercent() }),
    }),
  },
  Job: {
    parallelism: count(),
    completions: count(),
    backoffLimit: count(),
    activeDeadlineSeconds: int({ min: 1 }),
    ttlSecondsAfterFinished: count(),
    selector: labelSelector,
    manualSelector: bool(),
    completionMode: unsupported('NonIndexed'),
    suspend: unsupported(false),
    podFailurePolicy: unsupported(),
    successPolicy: unsupported(),
    backoffLimitPerIndex: unsupported(),
    maxFailedIndexes: unsupported(),
    // One node stops a pod before it makes its replacement: both policies mean the same here.
    podReplacementPolicy: str({ values: ['TerminatingOrFailed', 'Failed'] }),
    managedBy: unsupported('kubernetes.io/job-controller'),
  },
};

/** The table of each kind, `spec.template` left out (the OpenAPI field test walks these). */
export const WORKLOAD_SCHEMAS: Record<WorkloadKind, Node> = Object.fromEntries(
  WORKLOAD_KINDS.map((k) => [
    k,
    obj({
      apiVersion: str({ required: true, values: [API_VERSION[k]] }),
      kind: str({ required: true, values: [k] }),
      metadata: { ...metadata, required: true },
      spec: obj(SPECS[k], { required: true }),
      status: serverSet,
    }),
  ]),
) as Record<WorkloadKind, Node>;

export interface JobSpec {
  parallelism: number;
  /** absent: the pods are a work queue, the Job is done when one succeeded and none runs */
  completions?: number;
  backoffLimit: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
}

export interface Workload {
  kind: WorkloadKind;
  apiVersion: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  /** pods to run: `replicas` (default 1), one for a DaemonSet; a Job's are decided by its controller */
  replicas: number;
  selector?: LabelSelector;
  template: {
    metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };
  /** a Deployment with `paused: true` makes no ReplicaSet, so no pod, until it is resumed */
  paused?: boolean;
  statefulSet?: {
    serviceName?: string;
    parallel: boolean;
    start: number;
    claims: string[];
    /** persistentVolumeClaimRetentionPolicy.whenDeleted: Delete (the claims go with the StatefulSet) */
    deleteClaims: boolean;
  };
  job?: JobSpec;
}

const issuesAt = (where: string, issues: Issue[]) =>
  issues.map((i) => ({ path: `${where}: ${i.path || '(root)'}`, message: i.message }));

/** Does the selector choose these labels (matchLabels and matchExpressions ANDed)? */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((r) => {
    const value = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    const has = value !== undefined;
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        return has && values.includes(value);
      case 'NotIn':
        return !has || !values.includes(value);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

const show = (v: unknown) => JSON.stringify(v);

/** The API server's checks of the selector and the template's restart policy. */
function kindRules(
  kind: WorkloadKind,
  spec: Record<string, unknown>,
  labels: Record<string, string>,
  restartPolicy: unknown,
): Issue[] {
  const issues: Issue[] = [];
  const sel = spec.selector as LabelSelector | undefined;
  if (kind === 'Job') {
    const allowed = ['OnFailure', 'Never'];
    if (restartPolicy === undefined)
      issues.push({
        path: 'spec.template.spec.restartPolicy',
        message: 'Required value: valid values: "OnFailure", "Never"',
      });
    else if (!allowed.includes(restartPolicy as string))
      issues.push({
        path: 'spec.template.spec.restartPolicy',
        message: `Unsupported value: ${show(restartPolicy)}: supported values: "OnFailure", "Never"`,
      });
    if (spec.manualSelector !== true) {
      if (sel)
        issues.push({
          path: 'spec.selector',
          message:
            `Invalid value: ${show(sel)}: \`selector\` not auto-generated ` +
            "(a Job's selector is made from its uid; set manualSelector: true to give your own)",
        });
      return issues;
    }
  } else if (restartPolicy !== undefined && restartPolicy !== 'Always') {
    issues.push({
      path: 'spec.template.spec.restartPolicy',
      message: `Unsupported value: ${show(restartPolicy)}: supported values: "Always"`,
    });
  }
  if (!sel) return [...issues, { path: 'spec.selector', message: 'Required value' }];
  if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
    return [
      ...issues,
      {
        path: 'spec.selector',
        message: `Invalid value: ${show(sel)}: empty selector is invalid for ${kind.toLowerCase()}`,
      },
    ];
  }
  if (!selectorMatches(sel, labels)) {
    issues.push({
      path: 'spec.template.metadata.labels',
      message: `Invalid value: ${show(labels)}: \`selector\` does not match template \`labels\``,
    });
  }
  return issues;
}

function jobSpec(spec: Record<string, unknown>): JobSpec {
  const n = (k: string) => spec[k] as number | undefined;
  return {
    // Neither set: one pod, one completion. Only parallelism: a work queue.
    parallelism: n('parallelism') ?? 1,
    ...(n('completions') !== undefined
      ? { completions: n('completions') }
      : n('parallelism') === undefined
        ? { completions: 1 }
        : {}),
    backoffLimit: n('backoffLimit') ?? 6,
    ...(n('activeDeadlineSeconds') !== undefined ? { activeDeadlineSeconds: n('activeDeadlineSeconds') } : {}),
    ...(n('ttlSecondsAfterFinished') !== undefined ? { ttlSecondsAfterFinished: n('ttlSecondsAfterFinished') } : {}),
  };
}

/** Validates one workload object; `where` prefixes its issues (`FILE#N`). */
export function readWorkload(value: unknown, where: string, ignoreUnsupported: boolean): Workload {
  const kind = (value as { kind: WorkloadKind }).kind;
  const raw = isPlainObject(value) ? value : {};
  const rawSpec = isPlainObject(raw.spec) ? raw.spec : {};
  const { template, ...specRest } = rawSpec;
  const ctx: WalkContext = { issues: [], warnings: [], ignoreUnsupported };
  const o = walk(WORKLOAD_SCHEMAS[kind], { ...raw, spec: specRest }, '', ctx) as
    Record<string, Record<string, unknown>> | undefined;
  const issues = [...ctx.issues];
  if (!isPlainObject(template)) issues.push({ path: 'spec.template', message: 'Required value' });
  const tctx: WalkContext = { issues: [], warnings: [], ignoreUnsupported };
  const tmeta = (walk(
    templateMetadata,
    isPlainObject(template) ? (template.metadata ?? {}) : {},
    'spec.template.metadata',
    tctx,
  ) ?? {}) as Record<string, unknown>;
  issues.push(...tctx.issues);
  const tspec = isPlainObject(template) && isPlainObject(template.spec) ? template.spec : {};
  if (isPlainObject(template) && !isPlainObject(template.spec))
    issues.push({ path: 'spec.template.spec', message: 'Required value' });
  const labels = (tmeta.labels ?? {}) as Record<string, string>;
  const spec = (o?.spec ?? {}) as Record<string, unknown>;
  issues.push(...kindRules(kind, spec, labels, tspec.restartPolicy));
  const meta = (o?.metadata ?? {}) as Workload['metadata'];
  if (meta.name && dnsSubdomain(meta.name)) issues.push({ path: 'metadata.name', message: dnsSubdomain(meta.name)! });
  if (issues.length > 0) throw new ManifestError(issuesAt(where, issues));
  const w: Workload = {
    kind,
    apiVersion: API_VERSION[kind],
    metadata: { ...meta, namespace: meta.namespace || 'default' },
    replicas: kind === 'DaemonSet' ? 1 : ((spec.replicas as number | undefined) ?? 1),
    template: {
      metadata: { labels, ...(tmeta.annotations ? { annotations: tmeta.annotations as Record<string, string> } : {}) },
      spec: tspec,
    },
  };
  if (spec.selector) w.selector = spec.selector as LabelSelector;
  if (spec.paused === true) w.paused = true;
  if (kind === 'StatefulSet') {
    const claims = ((spec.volumeClaimTemplates ?? []) as { metadata: { name: string } }[]).map((c) => c.metadata.name);
    w.statefulSet = {
      ...(spec.serviceName ? { serviceName: spec.serviceName as string } : {}),
      parallel: spec.podManagementPolicy === 'Parallel',
      start: (spec.ordinals as { start?: number } | undefined)?.start ?? 0,
      claims,
      deleteClaims:
        (spec.persistentVolumeClaimRetentionPolicy as { whenDeleted?: string } | undefined)?.whenDeleted === 'Delete',
    };
  }
  if (kind === 'Job') w.job = jobSpec(spec);
  return w;
}
