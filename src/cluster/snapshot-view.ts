import type {
  AuthorizationPolicy,
  ConfigMap,
  DestinationRule,
  KubeEvent,
  KubeObject,
  Namespace,
  PeerAuthentication,
  Pod,
  Service,
  ServiceAccount,
  Workload,
  EndpointSlice,
  ControlPlaneRevision,
} from "./kube-types.js";
import type { AnalyzeMessage, ClusterSnapshot, Input, ProxyData, ProxyStatusEntry } from "./snapshot.js";

/** A check read an input it did not declare: a programming error, caught by the meta-tests. */
export class UndeclaredInputError extends Error {
  override readonly name = "UndeclaredInputError";
}

/**
 * Records which inputs are read. `declared` set: reading anything else throws. Nested `capture`
 * scopes let a memoised computation remember what it read, so that a later cache hit still counts
 * those reads for the check that asked (and is still refused if that check did not declare them).
 */
export class ReadTracker {
  readonly read = new Set<Input>();
  private readonly scopes: Set<Input>[] = [];

  constructor(readonly declared: ReadonlySet<Input> | null = null) {}

  use(input: Input): void {
    if (this.declared !== null && !this.declared.has(input)) {
      throw new UndeclaredInputError(`input "${input}" was read but not declared`);
    }
    this.read.add(input);
    for (const scope of this.scopes) scope.add(input);
  }

  capture<T>(fn: () => T): { value: T; inputs: Set<Input> } {
    const scope = new Set<Input>();
    this.scopes.push(scope);
    try {
      return { value: fn(), inputs: scope };
    } finally {
      this.scopes.pop();
    }
  }
}

function groupByNamespace<T extends KubeObject>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const ns = item.metadata?.namespace ?? "";
    let list = map.get(ns);
    if (!list) map.set(ns, (list = []));
    list.push(item);
  }
  return map;
}

/** Only pods in phase Running or Pending count (FINDINGS.md); a pod with no status at all counts too. */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === undefined || phase === "Running" || phase === "Pending";
}

/** Per-namespace indexes, built once per snapshot on first use and shared by every view. */
class SnapshotIndex {
  private readonly cache = new Map<string, unknown>();
  constructor(readonly snapshot: ClusterSnapshot) {}

  memo<T>(key: string, build: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const value = build();
    this.cache.set(key, value);
    return value;
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Read access to a snapshot for checks and the semantics they share. Every accessor records the input
 * it reads; lookups by namespace are indexed so that one service's check never scans the cluster.
 */
export class SnapshotView {
  private readonly index: SnapshotIndex;

  constructor(
    snapshot: ClusterSnapshot | SnapshotView,
    readonly tracker: ReadTracker = new ReadTracker(),
  ) {
    this.index = snapshot instanceof SnapshotView ? snapshot.index : new SnapshotIndex(snapshot);
  }

  /** The same snapshot and indexes, read through another tracker. */
  withTracker(tracker: ReadTracker): SnapshotView {
    return new SnapshotView(this, tracker);
  }

  private get snap(): ClusterSnapshot {
    return this.index.snapshot;
  }

  /** Why an input could not be collected, or undefined when it was. */
  unavailable(input: Input): string | undefined {
    return this.snap.unavailable[input];
  }

  /** Memoises a derived value for the life of the snapshot, replaying the inputs it read on every hit. */
  derived<T>(key: string, compute: () => T): T {
    const entry = this.index.memo(`derived:${key}`, () => this.tracker.capture(compute));
    for (const input of entry.inputs) this.tracker.use(input);
    return entry.value;
  }

  namespaces(): readonly Namespace[] {
    this.tracker.use("namespaces");
    return this.snap.namespaces;
  }

  namespace(name: string): Namespace | undefined {
    this.tracker.use("namespaces");
    return this.index
      .memo("ns", () => new Map(this.snap.namespaces.map((n) => [n.metadata?.name ?? "", n])))
      .get(name);
  }

  /** Every namespace named by an object of the snapshot, with or without a Namespace object. */
  namespaceNames(): readonly string[] {
    this.tracker.use("namespaces");
    return this.index.memo("nsNames", () => {
      const names = new Set<string>();
      for (const n of this.snap.namespaces) if (n.metadata?.name) names.add(n.metadata.name);
      const s = this.snap;
      for (const list of [s.pods, s.services, s.workloads, s.peerAuthentications, s.destinationRules, s.authorizationPolicies]) {
        for (const o of list) if (o.metadata?.namespace) names.add(o.metadata.namespace);
      }
      return [...names].sort();
    });
  }

  /** Active pods (Running or Pending), of one namespace or of all. */
  pods(namespace?: string): readonly Pod[] {
    this.tracker.use("pods");
    const byNs = this.index.memo("pods", () => groupByNamespace(this.snap.pods.filter(isActivePod)));
    if (namespace === undefined) return this.index.memo("podsAll", () => this.snap.pods.filter(isActivePod));
    return byNs.get(namespace) ?? EMPTY;
  }

  pod(namespace: string, name: string): Pod | undefined {
    return this.pods(namespace).find((p) => p.metadata?.name === name);
  }

  services(namespace?: string): readonly Service[] {
    this.tracker.use("services");
    if (namespace === undefined) return this.snap.services;
    return this.index.memo("services", () => groupByNamespace(this.snap.services)).get(namespace) ?? EMPTY;
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services(namespace).find((s) => s.metadata?.name === name);
  }

  endpointSlices(namespace: string): readonly EndpointSlice[] {
    this.tracker.use("endpointSlices");
    return this.index.memo("eps", () => groupByNamespace(this.snap.endpointSlices)).get(namespace) ?? EMPTY;
  }

  workloads(namespace?: string): readonly Workload[] {
    this.tracker.use("workloads");
    if (namespace === undefined) return this.snap.workloads;
    return this.index.memo("workloads", () => groupByNamespace(this.snap.workloads)).get(namespace) ?? EMPTY;
  }

  serviceAccounts(namespace: string): readonly ServiceAccount[] {
    this.tracker.use("serviceAccounts");
    return this.index.memo("sas", () => groupByNamespace(this.snap.serviceAccounts)).get(namespace) ?? EMPTY;
  }

  peerAuthentications(namespace?: string): readonly PeerAuthentication[] {
    this.tracker.use("peerAuthentications");
    if (namespace === undefined) return this.snap.peerAuthentications;
    return this.index.memo("pas", () => groupByNamespace(this.snap.peerAuthentications)).get(namespace) ?? EMPTY;
  }

  destinationRules(namespace?: string): readonly DestinationRule[] {
    this.tracker.use("destinationRules");
    if (namespace === undefined) return this.snap.destinationRules;
    return this.index.memo("drs", () => groupByNamespace(this.snap.destinationRules)).get(namespace) ?? EMPTY;
  }

  authorizationPolicies(namespace?: string): readonly AuthorizationPolicy[] {
    this.tracker.use("authorizationPolicies");
    if (namespace === undefined) return this.snap.authorizationPolicies;
    return this.index.memo("aps", () => groupByNamespace(this.snap.authorizationPolicies)).get(namespace) ?? EMPTY;
  }

  /** ConfigMaps that carry mesh configuration (`istio`, `istio-<revision>`). */
  meshConfigMaps(): readonly ConfigMap[] {
    this.tracker.use("meshConfig");
    return this.index.memo("meshCms", () =>
      this.snap.configMaps.filter((c) => /^istio(-.+)?$/.test(c.metadata?.name ?? "") && c.data?.["mesh"] !== undefined),
    );
  }

  events(namespace: string): readonly KubeEvent[] {
    this.tracker.use("events");
    return this.index.memo("events", () => groupByNamespace(this.snap.events)).get(namespace) ?? EMPTY;
  }

  configDump(namespace: string, pod: string): unknown {
    this.tracker.use("configDumps");
    return this.snap.proxies.get(`${namespace}/${pod}`)?.configDump;
  }

  /** The proxy's `stats/prometheus` text. */
  proxyStats(namespace: string, pod: string): string | undefined {
    this.tracker.use("proxyStats");
    return this.snap.proxies.get(`${namespace}/${pod}`)?.stats;
  }

  controlPlaneRevisions(): readonly ControlPlaneRevision[] {
    this.tracker.use("controlPlaneRevisions");
    return this.snap.controlPlaneRevisions;
  }

  proxyLog(namespace: string, pod: string): string | undefined {
    this.tracker.use("proxyLogs");
    return this.snap.proxies.get(`${namespace}/${pod}`)?.log;
  }

  proxyData(): ReadonlyMap<string, ProxyData> {
    return this.snap.proxies;
  }

  proxyStatus(): readonly ProxyStatusEntry[] | undefined {
    this.tracker.use("proxyStatus");
    return this.snap.proxyStatus;
  }

  analyzeMessages(): readonly AnalyzeMessage[] | undefined {
    this.tracker.use("istioctlAnalyze");
    return this.snap.analyzeMessages;
  }
}
