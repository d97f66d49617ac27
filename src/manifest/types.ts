/**
 * The Kubernetes `v1` Pod, as tspod runs it: TypeScript shapes with the Kubernetes field names.
 *
 * A `Pod` here is the manifest *after* validation and defaulting (`validatePod`), the same object
 * that `tspod inspect` prints as the spec. Fields that the API server defaults are therefore not
 * optional: the restart policy, the grace period, the DNS policy, each container's pull policy and
 * termination message settings, each port's protocol, each hostPath `type`. Lists that Kubernetes
 * omits when empty (`initContainers`, `volumes`, `hostAliases`, and per container `env`, `ports`,
 * `volumeMounts`) are always present, possibly empty, so consumers never test for `undefined`.
 * Fields that keep their meaning only when set (`command`, `args`, `workingDir`, a security
 * context, `activeDeadlineSeconds`...) stay optional: absent and empty are different there.
 *
 * Only the fields tspod implements appear; the table in `supported.ts` is the authority on which
 * those are. Quantities are kept as strings as written (`"64Mi"`, `"500m"`); `parseQuantity` and
 * `parseCpuMillis` turn them into numbers.
 */

/** A Kubernetes quantity as written in the manifest: `"64Mi"`, `"1G"`, `"500m"`, `"1e3"`. */
export type Quantity = string;

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type DNSPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type TerminationMessagePolicy = 'File' | 'FallbackToLogsOnError';
export type StorageMedium = '' | 'Memory';
export type HostPathType =
  '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';
/** A downward API field path (`metadata.name`, `metadata.labels['app']`...); downward.ts lists them. */
export type DownwardFieldPath = string;

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
}

export interface ObjectMeta {
  name: string;
  /** Defaults to `default`. */
  namespace: string;
  /** Assigned by the runtime when the manifest has none (the API server would). */
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** the controller that made the pod (a workload's, manifest/workload-pods.ts) */
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface PodSpec {
  containers: Container[];
  initContainers: Container[];
  volumes: Volume[];
  restartPolicy: RestartPolicy;
  terminationGracePeriodSeconds: number;
  activeDeadlineSeconds?: number;
  hostNetwork: boolean;
  hostPID: boolean;
  hostIPC: boolean;
  shareProcessNamespace: boolean;
  /** false: a user namespace of the pod's own (container root is an unprivileged host id); absent: the host's */
  hostUsers?: boolean;
  hostname?: string;
  subdomain?: string;
  hostAliases: HostAlias[];
  dnsPolicy: DNSPolicy;
  dnsConfig?: PodDNSConfig;
  nodeName?: string;
  /** Defaults to `default`, as the ServiceAccount admission plugin sets it. */
  serviceAccountName: string;
  /** Deprecated alias of `serviceAccountName`; always equal to it after defaulting. */
  serviceAccount: string;
  enableServiceLinks: boolean;
  /** Secrets (in the pod's namespace) whose registry credentials its pulls may use. */
  imagePullSecrets?: { name?: string }[];
  securityContext: PodSecurityContext;
  // Scheduling (scheduling.ts): what the node admits the pod on (src/admission/).
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  schedulingGates?: { name: string }[];
  priorityClassName?: string;
  /** Set at admission from the priority class, as the API server's Priority plugin does. */
  priority?: number;
  preemptionPolicy?: PreemptionPolicy;
  /** Resources the pod uses beyond its containers' (what a RuntimeClass would declare). */
  overhead?: ResourceList;
  /** Pod-level cpu and memory: the pod's cgroup is limited, and admission counts these requests. */
  resources?: ResourceRequirements;
}

export type PreemptionPolicy = 'PreemptLowerPriority' | 'Never';
export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator;
  values?: string[];
}

/** The requirements of a term are ANDed; an empty term matches no node. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  /** Only `metadata.name`, with `In` or `NotIn` and one value. */
  matchFields?: NodeSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

export interface Affinity {
  nodeAffinity?: {
    /** The terms are ORed. */
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
  };
  podAffinity?: PodAffinity;
  podAntiAffinity?: PodAffinity;
}

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Toleration {
  /** Empty (with `Exists`): every key. */
  key?: string;
  /** Defaults to `Equal`. */
  operator?: 'Equal' | 'Exists';
  value?: string;
  /** Empty: every effect. */
  effect?: TaintEffect;
  tolerationSeconds?: number;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: LabelSelector;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore';
  nodeTaintsPolicy?: 'Honor' | 'Ignore';
  matchLabelKeys?: string[];
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy: PullPolicy;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env: EnvVar[];
  envFrom: EnvFromSource[];
  ports: ContainerPort[];
  volumeMounts: VolumeMount[];
  resources: ResourceRequirements;
  securityContext?: SecurityContext;
  terminationMessagePath: string;
  terminationMessagePolicy: TerminationMessagePolicy;
  lifecycle?: Lifecycle;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  /** keep a stdin open (a pipe the runtime holds) that `tspod attach -i` writes to; else /dev/null */
  stdin?: boolean;
  /** close that stdin when the first attach session that used it ends */
  stdinOnce?: boolean;
  /** a terminal (from the container's own devpts) as stdin, stdout and stderr */
  tty?: boolean;
  /** only `Always`, only on an init container: a sidecar (native sidecar, Kubernetes 1.29+) */
  restartPolicy?: 'Always';
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
}

/** `configMapKeyRef` / `secretKeyRef`: one key of a ConfigMap or Secret in the pod's namespace. */
export interface KeySelector {
  name: string;
  key: string;
  optional?: boolean;
}

/** `envFrom[]`: every key of a ConfigMap or Secret, with an optional prefix. */
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

/** `items[]` of a configMap or secret volume: which key, at which path, with which mode. */
export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface ConfigMapVolumeSource {
  name: string;
  items?: KeyToPath[];
  /** Defaults to 0644. */
  defaultMode: number;
  optional?: boolean;
}

export interface SecretVolumeSource {
  secretName: string;
  items?: KeyToPath[];
  /** Defaults to 0644. */
  defaultMode: number;
  optional?: boolean;
}

export interface ObjectFieldSelector {
  fieldPath: DownwardFieldPath;
  /** Defaults to `v1`. */
  apiVersion: 'v1';
}

/** A container's request or limit, divided by `divisor` (default `1`) and rounded up. */
export interface ResourceFieldSelector {
  /** Defaults to the container reading it (env); required in volumes. */
  containerName?: string;
  resource: string;
  divisor?: Quantity;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  /** With `hostNetwork`, defaults to `containerPort` (and must equal it). */
  hostPort?: number;
  hostIP?: string;
  protocol: Protocol;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  /** `subPath` with `$(VAR)` expanded from the container's environment when it starts */
  subPathExpr?: string;
  /** Only `None` (the default) is implemented. */
  mountPropagation?: 'None';
}

/** `cpu`, `memory`, `ephemeral-storage`, and extended resources (`example.com/dongle`). */
export interface ResourceList {
  cpu?: Quantity;
  memory?: Quantity;
  'ephemeral-storage'?: Quantity;
  [extended: string]: Quantity | undefined;
}

export interface ResourceRequirements {
  limits?: ResourceList;
  /** A resource with a limit and no request gets the limit as its request. */
  requests?: ResourceList;
}

export interface Capabilities {
  /** As written: `NET_ADMIN`, `CAP_NET_ADMIN` or `ALL`; `normalizeCapability` gives `CAP_NET_ADMIN`. */
  add?: string[];
  drop?: string[];
}

export interface SecurityContext {
  privileged?: boolean;
  capabilities?: Capabilities;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  /** Unmasked: no masked or read-only /proc and /sys paths (only with hostUsers: false) */
  procMount?: 'Default' | 'Unmasked';
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
  seLinuxOptions?: SELinuxOptions;
}

/** `type: Localhost` names a profile loaded on the host (by its name). */
export interface AppArmorProfile {
  type: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostProfile?: string;
}

export interface SELinuxOptions {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

/** `type: Localhost` names a file under `<root>/seccomp/` (see src/seccomp/). */
export interface SeccompProfile {
  type: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostProfile?: string;
}

export interface Sysctl {
  name: string;
  value: string;
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  /** Merge (the default): the image's /etc/group memberships are added; Strict: only the listed groups */
  supplementalGroupsPolicy?: 'Merge' | 'Strict';
  /** a group every container gets, owning the volumes that support ownership (src/runtime/ownership.ts) */
  fsGroup?: number;
  fsGroupChangePolicy?: 'OnRootMismatch' | 'Always';
  sysctls?: Sysctl[];
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
  seLinuxOptions?: SELinuxOptions;
  seLinuxChangePolicy?: 'MountOption' | 'Recursive';
}

export interface ExecAction {
  command: string[];
}

/** A port by number, or by the name of one of the container's ports. */
export type PortRef = number | string;

export interface HTTPHeader {
  name: string;
  value?: string;
}

export interface HTTPGetAction {
  /** Defaults to `/`. */
  path: string;
  port: PortRef;
  /** Defaults to the pod's IP. */
  host?: string;
  /** Defaults to `HTTP`. */
  scheme: 'HTTP' | 'HTTPS';
  httpHeaders?: HTTPHeader[];
}

export interface TCPSocketAction {
  port: PortRef;
  host?: string;
}

export interface GRPCAction {
  port: number;
  /** Defaults to `""`: the server's overall health. */
  service: string;
}

/** Exactly one handler is set. */
export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  sleep?: { seconds: number };
}

export interface Lifecycle {
  preStop?: LifecycleHandler;
  postStart?: LifecycleHandler;
  /** A signal name (`SIGQUIT`); overrides the image's StopSignal. */
  stopSignal?: string;
}

/** Exactly one handler is set; the numbers have the API server's defaults. */
export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  terminationGracePeriodSeconds?: number;
}

export interface EmptyDirVolumeSource {
  medium?: StorageMedium;
  sizeLimit?: Quantity;
}

export interface HostPathVolumeSource {
  path: string;
  /** Defaults to `""`: no check before mounting. */
  type: HostPathType;
}

/** One file of a downwardAPI volume or projection: a field or a resource, at `path`. */
export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  /** `containerName` is required here */
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}

export interface DownwardAPIVolumeSource {
  items: DownwardAPIVolumeFile[];
  /** Defaults to 0644. */
  defaultMode: number;
}

/** One source of a projected volume (exactly one field set). */
export interface VolumeProjection {
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items: DownwardAPIVolumeFile[] };
}

export interface ProjectedVolumeSource {
  sources: VolumeProjection[];
  /** Defaults to 0644. */
  defaultMode: number;
}

/** Exactly one volume type is set. */
export interface Volume {
  name: string;
  emptyDir?: EmptyDirVolumeSource;
  hostPath?: HostPathVolumeSource;
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
  downwardAPI?: DownwardAPIVolumeSource;
  projected?: ProjectedVolumeSource;
  /** a named local volume under tspod's root, made on first use and kept (tspod volume) */
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  /** an image of the store (pulled by its policy), mounted read-only and noexec (Kubernetes 1.31+) */
  image?: { reference: string; pullPolicy: PullPolicy };
}

export interface HostAlias {
  ip: string;
  hostnames?: string[];
}

export interface PodDNSConfigOption {
  name: string;
  value?: string;
}

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: PodDNSConfigOption[];
}

/** The `config` section of an OCI image configuration, with its own field names. */
export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  /** `KEY=value` strings. */
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
}

/** What the node can give pods: the kubelet's `status.allocatable` (src/node/). */
export interface Allocatable {
  cpuMillis: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
}

/** The pod-level facts a field path reads. */
export interface FieldFacts {
  podName: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
  nodeName: string;
  serviceAccountName: string;
}

/** What the downward API (`fieldRef`, `resourceFieldRef`) can read, known only once the pod runs. */
export interface DownwardFacts extends FieldFacts {
  /** the node's allocatable, read by a resourceFieldRef limit the container does not set */
  allocatable?: Allocatable;
  /** the pod's containers, for a resourceFieldRef naming another one */
  containers?: Container[];
}

/** What `resolveProcess` computes for one container: what the plan's `exec` op runs. */
export interface ProcessSpec {
  argv: string[];
  /** `KEY=value` strings, one per name. */
  env: string[];
  workingDir: string;
}
