/**
 * THE table: every field of the Kubernetes v1 Pod that tspod reads, and what it accepts there.
 *
 * Each object lists all the fields Kubernetes defines at that place (as of release 1.36, which
 * test/unit/manifest/openapi-fields.test.ts checks against the upstream OpenAPI field lists), in three kinds:
 * implemented (with its type, format and range), `unsupported(...)` (refused by name, never
 * ignored: anything that could change what the pod is allowed to do, every field of a security
 * context, every volume type it does not implement) and `ignorable(...)` (refused by name unless
 * `--ignore-unsupported`: scheduling, probes, terminal settings). Anything else is a typo.
 *
 * To implement a field: replace its `unsupported()` with its type here, add it to `types.ts`, give
 * it a default in `defaults.ts` if Kubernetes has one, and teach the runtime.
 */
import {
  absolutePath,
  downwardField,
  execString,
  image,
  medium,
  mountPath,
  mountPropagation,
  subPath,
  volumeDownwardField,
} from './checks.js';
import { configKey, keyPath } from './config-checks.js';
import {
  dnsLabel,
  dnsSubdomain,
  envVarName,
  ipAddress,
  labelValue,
  portName,
  qualifiedName,
  searchDomain,
} from './names.js';
import { RESOURCES } from './downward.js';
import {
  atMostOne,
  divisorRule,
  escalationRules,
  exactlyOne,
  requestsWithinLimits,
  valueOrValueFrom,
} from './object-rules.js';
import { livenessRules, readinessRules, STOP_SIGNALS } from './probe-rules.js';
import {
  INT32_MAX,
  bool,
  ignorable,
  int,
  intOrString,
  list,
  map,
  needsCluster,
  obj,
  quantity,
  resourceList,
  serverSet,
  str,
  unsupported,
} from './schema.js';
import { podResources, schedulingFields } from './scheduling.js';
import { capabilityName, safeSysctl } from './security.js';
import { localhostProfilePath, profileIssues } from './seccomp.js';

const id = () => int({ min: 0, max: INT32_MAX });
const port = (min: number, required = false) => int({ min, max: 65535, required });

const keySelector = obj({
  name: str({ required: true, check: dnsSubdomain }),
  key: str({ required: true, check: configKey }),
  optional: bool(),
});
const objectRef = obj({ name: str({ required: true, check: dnsSubdomain }), optional: bool() });
const envFromSource = obj(
  { prefix: str(), configMapRef: objectRef, secretRef: objectRef },
  { rules: exactlyOne(['configMapRef', 'secretRef'], 'source (configMapRef or secretRef)') },
);

const resourceFieldRef = (containerRequired: boolean) =>
  obj(
    {
      containerName: str({ required: containerRequired, check: dnsLabel }),
      resource: str({ required: true, values: RESOURCES }),
      divisor: quantity(),
    },
    { rules: divisorRule },
  );

const envVarSource = obj(
  {
    fieldRef: obj({ fieldPath: str({ required: true, check: downwardField }), apiVersion: str({ values: ['v1'] }) }),
    resourceFieldRef: resourceFieldRef(false),
    configMapKeyRef: keySelector,
    secretKeyRef: keySelector,
    fileKeyRef: unsupported(),
  },
  { rules: exactlyOne(['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'], 'source') },
);

const envVar = obj(
  { name: str({ required: true, check: envVarName }), value: str({ check: execString }), valueFrom: envVarSource },
  { rules: valueOrValueFrom },
);

const containerPort = obj({
  name: str({ check: portName }),
  containerPort: port(1, true),
  hostPort: port(0),
  hostIP: str({ check: ipAddress }),
  protocol: str({ values: ['TCP', 'UDP', 'SCTP'] }),
});

const volumeMount = obj(
  {
    name: str({ required: true }),
    subPathExpr: str({ check: subPath }),
    mountPath: str({ required: true, check: mountPath }),
    readOnly: bool(),
    subPath: str({ check: subPath }),
    mountPropagation: str({ check: mountPropagation }),
    recursiveReadOnly: unsupported('Disabled'),
  },
  { rules: atMostOne(['subPath', 'subPathExpr']) },
);

const resources = obj(
  { limits: resourceList(), requests: resourceList(), claims: unsupported([]) },
  { rules: requestsWithinLimits },
);

const seccompProfile = obj(
  {
    type: str({ required: true, values: ['RuntimeDefault', 'Unconfined', 'Localhost'] }),
    localhostProfile: str({ check: localhostProfilePath }),
  },
  { rules: (c) => profileIssues(c) },
);

const appArmorProfile = obj(
  {
    type: str({ required: true, values: ['RuntimeDefault', 'Unconfined', 'Localhost'] }),
    localhostProfile: str(),
  },
  { rules: (c) => profileIssues(c) },
);

const seLinuxOptions = obj({ user: str(), role: str(), type: str(), level: str() });

const containerSecurityContext = obj(
  {
    privileged: bool(),
    capabilities: obj({ add: list(str({ check: capabilityName })), drop: list(str({ check: capabilityName })) }),
    runAsUser: id(),
    runAsGroup: id(),
    runAsNonRoot: bool(),
    allowPrivilegeEscalation: bool(),
    readOnlyRootFilesystem: bool(),
    // Unmasked only with hostUsers: false (user-namespace.ts), as the API server validates.
    procMount: str({ values: ['Default', 'Unmasked'] }),
    seccompProfile,
    seLinuxOptions,
    appArmorProfile,
    windowsOptions: unsupported(),
  },
  { rules: escalationRules },
);

const portRef = () => intOrString({ min: 1, max: 65535, check: portName, required: true });

const httpGet = obj({
  path: str(),
  port: portRef(),
  host: str(),
  scheme: str({ values: ['HTTP', 'HTTPS'] }),
  httpHeaders: list(obj({ name: str({ required: true }), value: str() })),
});

const tcpSocket = obj({ port: portRef(), host: str() });

const lifecycleHandler = obj(
  {
    exec: obj({ command: list(str({ check: execString }), { required: true }) }),
    httpGet,
    tcpSocket,
    sleep: obj({ seconds: int({ min: 0, max: INT32_MAX, required: true }) }),
  },
  { rules: exactlyOne(['exec', 'httpGet', 'tcpSocket', 'sleep'], 'handler') },
);

const probeFields = {
  exec: obj({ command: list(str({ check: execString }), { required: true }) }),
  httpGet,
  tcpSocket,
  grpc: obj({ port: int({ min: 1, max: 65535, required: true }), service: str() }),
  initialDelaySeconds: int({ min: 0, max: INT32_MAX }),
  timeoutSeconds: int({ min: 1, max: INT32_MAX }),
  periodSeconds: int({ min: 1, max: INT32_MAX }),
  successThreshold: int({ min: 1, max: INT32_MAX }),
  failureThreshold: int({ min: 1, max: INT32_MAX }),
  terminationGracePeriodSeconds: int({ min: 1, max: INT32_MAX }),
};
const liveness = obj(probeFields, { rules: livenessRules });
const readiness = obj(probeFields, { rules: readinessRules });
const startup = obj(probeFields, { rules: livenessRules });

const containerFields = {
  name: str({ required: true, check: dnsLabel }),
  image: str({ required: true, check: image }),
  imagePullPolicy: str({ values: ['Always', 'IfNotPresent', 'Never'] }),
  command: list(str({ check: execString })),
  args: list(str({ check: execString })),
  workingDir: str({ check: absolutePath }),
  env: list(envVar),
  ports: list(containerPort),
  volumeMounts: list(volumeMount),
  resources,
  securityContext: containerSecurityContext,
  terminationMessagePath: str({ check: absolutePath }),
  terminationMessagePolicy: str({ values: ['File', 'FallbackToLogsOnError'] }),
  lifecycle: obj({ preStop: lifecycleHandler, postStart: lifecycleHandler, stopSignal: str({ values: STOP_SIGNALS }) }),
  livenessProbe: liveness,
  readinessProbe: readiness,
  startupProbe: startup,
  stdin: bool(),
  stdinOnce: bool(),
  tty: bool(),
  resizePolicy: ignorable([]),
  envFrom: list(envFromSource),
  volumeDevices: unsupported([]),
  restartPolicy: unsupported(),
  restartPolicyRules: unsupported([]),
};
const container = obj(containerFields);
// An init container with `restartPolicy: Always` is a sidecar (the only value the API server takes there).
const initContainer = obj({ ...containerFields, restartPolicy: str({ values: ['Always'] }) });

// File modes of configMap/secret files: 0000..0777, as the API server allows.
const fileMode = () => int({ min: 0, max: 0o777 });
const keyToPath = obj({
  key: str({ required: true, check: configKey }),
  path: str({ required: true, check: keyPath }),
  mode: fileMode(),
});

/** The volume types of Kubernetes that tspod does not implement. */
export const UNSUPPORTED_VOLUME_TYPES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'csi',
  'ephemeral',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'iscsi',
  'nfs',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
] as const;

const downwardFile = obj(
  {
    path: str({ required: true, check: keyPath }),
    fieldRef: obj({
      fieldPath: str({ required: true, check: volumeDownwardField }),
      apiVersion: str({ values: ['v1'] }),
    }),
    resourceFieldRef: resourceFieldRef(true),
    mode: fileMode(),
  },
  { rules: exactlyOne(['fieldRef', 'resourceFieldRef'], 'source (fieldRef or resourceFieldRef)') },
);
const downwardItems = list(downwardFile);

// Sources that only an API server can fill: the kubelet asks it for a token, a bundle, a certificate.
const noApiServer = (what: string) => `needs an API server ${what}, and tspod has none`;
const projection = obj(
  {
    configMap: obj({ name: str({ required: true, check: dnsSubdomain }), items: list(keyToPath), optional: bool() }),
    secret: obj({ name: str({ required: true, check: dnsSubdomain }), items: list(keyToPath), optional: bool() }),
    downwardAPI: obj({ items: downwardItems }),
    serviceAccountToken: needsCluster(noApiServer('to issue a service account token (TokenRequest)')),
    clusterTrustBundle: needsCluster(noApiServer('to read ClusterTrustBundle objects')),
    podCertificate: needsCluster(noApiServer('to sign a pod certificate (PodCertificateRequest)')),
  },
  {
    rules: exactlyOne(
      ['configMap', 'secret', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle', 'podCertificate'],
      'projection source',
    ),
  },
);

/** The volume types tspod implements. */
export const VOLUME_TYPES = [
  'emptyDir',
  'hostPath',
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
  'persistentVolumeClaim',
  'image',
] as const;

const volume = obj(
  {
    name: str({ required: true, check: dnsLabel }),
    emptyDir: obj({ medium: str({ check: medium }), sizeLimit: quantity({ positive: true }) }),
    hostPath: obj({
      path: str({ required: true, check: absolutePath }),
      type: str({
        values: ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'],
      }),
    }),
    configMap: obj({
      name: str({ required: true, check: dnsSubdomain }),
      items: list(keyToPath),
      defaultMode: fileMode(),
      optional: bool(),
    }),
    secret: obj({
      secretName: str({ required: true, check: dnsSubdomain }),
      items: list(keyToPath),
      defaultMode: fileMode(),
      optional: bool(),
    }),
    downwardAPI: obj({ items: downwardItems, defaultMode: fileMode() }),
    projected: obj({ sources: list(projection), defaultMode: fileMode() }),
    persistentVolumeClaim: obj({ claimName: str({ required: true, check: dnsSubdomain }), readOnly: bool() }),
    image: obj({
      reference: str({ required: true, check: image }),
      pullPolicy: str({ values: ['Always', 'IfNotPresent', 'Never'] }),
    }),
    ...Object.fromEntries(UNSUPPORTED_VOLUME_TYPES.map((t) => [t, unsupported()])),
  },
  { rules: exactlyOne([...VOLUME_TYPES, ...UNSUPPORTED_VOLUME_TYPES], `volume type (${VOLUME_TYPES.join(', ')})`) },
);

const podSecurityContext = obj({
  runAsUser: id(),
  runAsGroup: id(),
  runAsNonRoot: bool(),
  supplementalGroups: list(id()),
  sysctls: list(obj({ name: str({ required: true, check: safeSysctl }), value: str({ required: true }) })),
  fsGroup: id(),
  fsGroupChangePolicy: str({ values: ['OnRootMismatch', 'Always'] }),
  supplementalGroupsPolicy: str({ values: ['Merge', 'Strict'] }),
  seccompProfile,
  seLinuxOptions,
  seLinuxChangePolicy: str({ values: ['MountOption', 'Recursive'] }),
  appArmorProfile,
  windowsOptions: unsupported(),
});

const dnsConfig = obj({
  nameservers: list(str({ check: ipAddress }), { maxItems: 3 }),
  searches: list(str({ check: searchDomain }), { maxItems: 32 }),
  options: list(obj({ name: str({ required: true }), value: str() })),
});

const podSpec = obj({
  containers: list(container, { required: true }),
  initContainers: list(initContainer),
  volumes: list(volume),
  restartPolicy: str({ values: ['Always', 'OnFailure', 'Never'] }),
  terminationGracePeriodSeconds: int({ min: 0 }),
  activeDeadlineSeconds: int({ min: 1 }),
  hostNetwork: bool(),
  hostPID: bool(),
  hostIPC: bool(),
  shareProcessNamespace: bool(),
  // false: the pod gets a user namespace of its own (src/runtime/userns.ts); true/absent: the host's.
  hostUsers: bool(),
  hostname: str({ check: dnsLabel }),
  subdomain: str({ check: dnsLabel }),
  hostAliases: list(
    obj({ ip: str({ required: true, check: ipAddress }), hostnames: list(str({ check: dnsSubdomain })) }),
  ),
  dnsPolicy: str({ values: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] }),
  dnsConfig,
  nodeName: str({ check: dnsSubdomain }),
  serviceAccountName: str({ check: dnsSubdomain }),
  serviceAccount: str({ check: dnsSubdomain }),
  enableServiceLinks: bool(),
  // The kubelet mounts a token only where the ServiceAccount admission plugin added its projected
  // volume; with no API server there is none. Unset (or false): nothing to mount. true: refused.
  automountServiceAccountToken: needsCluster(noApiServer('to issue the token it asks to mount'), false),
  securityContext: podSecurityContext,
  // Scheduling: this node admits the pod or refuses it, as a kubelet does (src/admission/).
  ...schedulingFields,
  // Cluster bookkeeping: meaningless on one host, harmless to leave out.
  schedulerName: ignorable('default-scheduler'),
  schedulingGroup: ignorable(),
  readinessGates: ignorable([]),
  // Secrets of type kubernetes.io/dockerconfigjson (or dockercfg) from the run's files, for the
  // pod's pulls (registry/pull-secrets.ts). An entry may have no name: the kubelet skips it.
  imagePullSecrets: list(obj({ name: str() })),
  // These change how the pod is isolated or what it runs: never left out.
  ephemeralContainers: unsupported([]),
  runtimeClassName: unsupported(),
  os: unsupported(),
  setHostnameAsFQDN: unsupported(false),
  hostnameOverride: unsupported(),
  resourceClaims: unsupported([]),
  resources: podResources,
});

export const metadata = obj({
  name: str({ required: true, check: dnsSubdomain }),
  namespace: str({ check: dnsLabel }),
  uid: str(),
  labels: map(qualifiedName, { value: labelValue }),
  annotations: map(qualifiedName, { maxBytes: 256 * 1024 }),
  generateName: unsupported(),
  ownerReferences: list(
    obj({
      apiVersion: str({ required: true }),
      kind: str({ required: true }),
      name: str({ required: true }),
      uid: str({ required: true }),
      controller: bool(),
      blockOwnerDeletion: bool(),
    }),
  ),
  finalizers: ignorable([]),
  selfLink: serverSet,
  resourceVersion: serverSet,
  generation: serverSet,
  creationTimestamp: serverSet,
  deletionTimestamp: serverSet,
  deletionGracePeriodSeconds: serverSet,
  managedFields: serverSet,
});

/** The root of the table: a whole `v1` `Pod` manifest. */
export const POD = obj({
  apiVersion: str({ required: true, values: ['v1'] }),
  kind: str({ required: true, values: ['Pod'] }),
  metadata: { ...metadata, required: true },
  spec: { ...podSpec, required: true },
  status: serverSet,
});
