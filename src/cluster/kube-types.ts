// The slices of Kubernetes and Istio objects that mtls-doctor reads. Every field is optional because
// snapshots come from many sources (kubectl output, hand-written fixtures, live lists) and a missing
// field must read as "not set", never crash a check.

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  resourceVersion?: string;
  uid?: string;
  generateName?: string;
  ownerReferences?: { apiVersion?: string; kind?: string; name?: string; controller?: boolean }[];
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

export interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
  grpc?: { port?: number; service?: string };
  tcpSocket?: { port?: number | string };
  exec?: { command?: string[] };
}

export interface Container {
  name?: string;
  image?: string;
  ports?: ContainerPort[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  restartPolicy?: string;
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; finishedAt?: string; message?: string };
}

export interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  started?: boolean;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  serviceAccountName?: string;
  nodeName?: string;
  serviceAccount?: string;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    podIP?: string;
  };
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface Workload extends KubeObject {
  spec?: { selector?: LabelSelector; template?: PodTemplate; replicas?: number };
}

export interface ServicePort {
  name?: string;
  port?: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  spec?: { selector?: Labels; ports?: ServicePort[]; type?: string; clusterIP?: string };
}

export interface EndpointSlice extends KubeObject {
  endpoints?: { targetRef?: { kind?: string; name?: string; namespace?: string }; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number }[];
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface KubeEvent extends KubeObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

export type MtlsMode = "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT";

export interface PeerAuthentication extends KubeObject {
  spec?: {
    selector?: { matchLabels?: Labels };
    mtls?: { mode?: MtlsMode };
    portLevelMtls?: Record<string, { mode?: MtlsMode }>;
  };
}

export type TlsMode = "DISABLE" | "SIMPLE" | "MUTUAL" | "ISTIO_MUTUAL";

export interface ClientTlsSettings {
  mode?: TlsMode;
  [key: string]: unknown;
}

export interface TrafficPolicy {
  tls?: ClientTlsSettings;
  portLevelSettings?: { port?: { number?: number }; tls?: ClientTlsSettings }[];
  [key: string]: unknown;
}

export interface DestinationRule extends KubeObject {
  spec?: {
    host?: string;
    trafficPolicy?: TrafficPolicy;
    subsets?: { name?: string; labels?: Labels; trafficPolicy?: TrafficPolicy }[];
    exportTo?: string[];
    workloadSelector?: { matchLabels?: Labels };
  };
}

export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthorizationRule {
  from?: { source?: AuthorizationSource }[];
  to?: { operation?: AuthorizationOperation }[];
  when?: { key?: string; values?: string[]; notValues?: string[] }[];
}

export interface AuthorizationPolicy extends KubeObject {
  spec?: {
    selector?: { matchLabels?: Labels };
    targetRef?: unknown;
    targetRefs?: unknown[];
    action?: "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";
    provider?: { name?: string };
    rules?: AuthorizationRule[];
  };
}

export type Namespace = KubeObject;
export type ServiceAccount = KubeObject;
export type Sidecar = KubeObject;

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Cloud Service Mesh's managed control plane revision (`mesh.cloud.google.com/v1beta1`). */
export interface ControlPlaneRevision extends KubeObject {
  spec?: { type?: string; channel?: string };
  status?: { conditions?: Condition[] };
}
