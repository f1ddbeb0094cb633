import type {
  AuthorizationPolicy,
  KubeObject,
  ConfigMap,
  DestinationRule,
  EndpointSlice,
  KubeEvent,
  Namespace,
  PeerAuthentication,
  Pod,
  Service,
  ServiceAccount,
  Sidecar,
  Workload,
  ControlPlaneRevision,
} from "./kube-types.js";

/**
 * The inputs a check can declare. Collectors fill exactly the declared inputs; when one cannot be
 * collected (forbidden, timed out, no istioctl) its reason is recorded in `unavailable` and the checks
 * that need it are reported as skipped.
 */
export const INPUTS = [
  "namespaces",
  "pods",
  "services",
  "endpointSlices",
  "workloads",
  "serviceAccounts",
  "peerAuthentications",
  "destinationRules",
  "authorizationPolicies",
  "sidecars",
  "meshConfig",
  "events",
  "controlPlaneRevisions",
  "configDumps",
  "proxyLogs",
  "proxyStats",
  "proxyStatus",
  "istioctlAnalyze",
] as const;

export type Input = (typeof INPUTS)[number];

/** What a proxy holds, keyed in the snapshot by `namespace/pod`. */
export interface ProxyData {
  /** The Envoy admin config dump, snake_case (raw) or camelCase (istioctl), as parsed JSON. */
  configDump?: unknown;
  /** Recent `istio-proxy` log lines. */
  log?: string;
  /** `pilot-agent request GET stats/prometheus`: Envoy's counters and Istio's standard metrics, as text. */
  stats?: string;
}

/** One row of `istioctl proxy-status`, whatever format it came in. */
export interface ProxyStatusEntry {
  /** The pod as `namespace/name`. */
  pod: string;
  cluster?: string;
  istiod?: string;
  version?: string;
  /** xDS type (CDS, LDS, EDS, RDS, ECDS, ...) to its state (SYNCED, STALE, NOT SENT, ERROR, IGNORED). */
  types: Record<string, string>;
}

/** A message of `istioctl analyze -o json`. */
export interface AnalyzeMessage {
  code: string;
  level: string;
  message: string;
  /** `Kind namespace/name` where istioctl named one. */
  resource?: string;
}

export interface ClusterSnapshot {
  namespaces: Namespace[];
  pods: Pod[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  /** Deployments, StatefulSets, DaemonSets and ReplicaSets, told apart by `kind`. */
  workloads: Workload[];
  serviceAccounts: ServiceAccount[];
  peerAuthentications: PeerAuthentication[];
  destinationRules: DestinationRule[];
  authorizationPolicies: AuthorizationPolicy[];
  sidecars: Sidecar[];
  configMaps: ConfigMap[];
  events: KubeEvent[];
  /** Cloud Service Mesh's managed control plane revisions (`mesh.cloud.google.com`). */
  controlPlaneRevisions: ControlPlaneRevision[];
  proxies: Map<string, ProxyData>;
  proxyStatus?: ProxyStatusEntry[];
  analyzeMessages?: AnalyzeMessage[];
  /** Inputs that could not be collected, with the reason a person can act on. */
  unavailable: Partial<Record<Input, string>>;
}

export function emptySnapshot(): ClusterSnapshot {
  return {
    namespaces: [],
    pods: [],
    services: [],
    endpointSlices: [],
    workloads: [],
    serviceAccounts: [],
    peerAuthentications: [],
    destinationRules: [],
    authorizationPolicies: [],
    sidecars: [],
    configMaps: [],
    events: [],
    controlPlaneRevisions: [],
    proxies: new Map(),
    unavailable: {},
  };
}

type ObjectListKey = Exclude<keyof ClusterSnapshot, "proxies" | "proxyStatus" | "analyzeMessages" | "unavailable">;

const LIST_BY_KIND: Record<string, ObjectListKey> = {
  Namespace: "namespaces",
  Pod: "pods",
  Service: "services",
  EndpointSlice: "endpointSlices",
  Deployment: "workloads",
  StatefulSet: "workloads",
  DaemonSet: "workloads",
  ReplicaSet: "workloads",
  ServiceAccount: "serviceAccounts",
  PeerAuthentication: "peerAuthentications",
  DestinationRule: "destinationRules",
  AuthorizationPolicy: "authorizationPolicies",
  Sidecar: "sidecars",
  ConfigMap: "configMaps",
  Event: "events",
  ControlPlaneRevision: "controlPlaneRevisions",
};

/** Every Kubernetes object a snapshot holds, kind by kind. */
export function allObjects(snapshot: ClusterSnapshot): KubeObject[] {
  return Object.values(LIST_BY_KIND)
    .filter((key, i, keys) => keys.indexOf(key) === i)
    .flatMap((key) => snapshot[key] as KubeObject[]);
}

/**
 * Adds one Kubernetes object to the snapshot by its kind. `List` and `*List` objects are unpacked;
 * items without a kind take it from the list's kind (`PodList` → `Pod`), as the API server omits it.
 * Returns false for kinds the snapshot does not keep.
 */
export function addObject(snapshot: ClusterSnapshot, obj: unknown, kindHint?: string): boolean {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return false;
  const record = obj as { kind?: unknown; items?: unknown };
  const kind = typeof record.kind === "string" ? record.kind : kindHint;
  if (kind !== undefined && (kind === "List" || kind.endsWith("List")) && Array.isArray(record.items)) {
    const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
    let added = false;
    for (const item of record.items) added = addObject(snapshot, item, itemKind) || added;
    return added;
  }
  if (kind === undefined) return false;
  const key = LIST_BY_KIND[kind];
  if (key === undefined) return false;
  const typed = record.kind === undefined ? { ...(obj as object), kind } : obj;
  (snapshot[key] as unknown[]).push(typed);
  return true;
}
