import type { KubeConfig } from "@kubernetes/client-node";
import type { DiagnoseRequest } from "../engine/request.js";
import { matchesSelector } from "../mesh/labels.js";
import { parseMeshConfig } from "../mesh/mesh-config.js";
import { execInPod } from "./exec-in-pod.js";
import {
  istioctlAnalyze,
  istioctlConfigDump,
  istioctlEnvoyStats,
  istioctlMissingReason,
  istioctlProxyStatus,
  defaultIstioctlRunner,
  type IstioctlRunner,
} from "./istioctl.js";
import { KubeApiError, KubeClient, kubeConfigOrigin, Semaphore, type KubeAction } from "./kube-client.js";
import type { AuthorizationPolicy, KubeObject, Pod } from "./kube-types.js";
import {
  labelSelectorQuery,
  pickProxyPods,
  pickScanProxyPods,
  podKey,
  resolveSourceSelector,
  serviceSelector,
} from "./pick-proxy-pods.js";
import { addObject, emptySnapshot, INPUTS, type ClusterSnapshot, type Input } from "./snapshot.js";

export const DEFAULT_ROOT_NAMESPACE = "istio-system";

/** What `check` needs: the target's and source's namespaces and the mesh root namespace. */
export interface CheckCollectPlan {
  mode: "check";
  target: { service: string; namespace: string };
  /** The `--from` client, a Service or a Deployment/StatefulSet/DaemonSet of that name. */
  source?: { name: string; namespace: string };
  rootNamespace: string;
  inputs: ReadonlySet<Input>;
}

/** What `scan` (and `snapshot`) needs: the namespaces given, or every namespace when none is. */
export interface ScanCollectPlan {
  mode: "scan";
  /** Empty: every namespace of the cluster. */
  namespaces: readonly string[];
  rootNamespace: string;
  inputs: ReadonlySet<Input>;
}

export type CollectPlan = CheckCollectPlan | ScanCollectPlan;

export function planForRequest(
  request: DiagnoseRequest,
  inputs: ReadonlySet<Input>,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): CollectPlan {
  if (request.mode === "scan") return planForScan(request.namespaces, inputs, rootNamespace);
  const plan: CheckCollectPlan = { mode: "check", target: { ...request.target }, rootNamespace, inputs };
  if (request.from) plan.source = { ...request.from };
  return plan;
}

export function planForScan(
  namespaces: readonly string[],
  inputs: ReadonlySet<Input> = new Set(INPUTS),
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): ScanCollectPlan {
  return { mode: "scan", namespaces: [...new Set(namespaces)], rootNamespace, inputs };
}

export interface CollectOptions {
  /** Per API request. Default 15 s. */
  timeoutMs?: number;
  /** Per exec, log read and istioctl run. Default 30 s. */
  proxyTimeoutMs?: number;
  /** `limit` of list requests; larger pages mean fewer round trips. Default 1000. */
  pageSize?: number;
  /** API requests in flight at once. Default 16. */
  maxConcurrency?: number;
  /** Proxies inspected per side in `check` (target pods, source pods; default 6) and per namespace in `scan` (default 5). */
  maxProxiesPerSide?: number;
  /** Proxies inspected per workload in `check` (its replicas share one configuration). Default 3. */
  maxProxiesPerWorkload?: number;
  /** Proxies inspected in all in `scan`. Default 50. */
  maxProxiesTotal?: number;
  /** Pages of Events read per namespace (the newest are not guaranteed first). Default 2. */
  maxEventPages?: number;
  /** `tailLines` of istio-proxy logs. Default 500. */
  logTailLines?: number;
  /** Largest config dump read. Default 64 MiB. */
  maxConfigDumpBytes?: number;
  /**
   * istioctl to use; null: none; undefined: the one on PATH (or ISTIOCTL), if any, pointed at the
   * kubeconfig file and context the KubeConfig was loaded from (loadKubeConfig).
   */
  istioctl?: IstioctlRunner | null;
  onProgress?: (message: string) => void;
}

/** A live collection: the snapshot plus what was left out on purpose or only partly read. */
export interface LiveSnapshot extends ClusterSnapshot {
  /**
   * Caps and partial failures (e.g. "proxies of 5 of the 40 target pods were inspected"). Unlike
   * `unavailable`, nothing here makes a check skip: the checks ran on what is in the snapshot.
   */
  notes: string[];
  /** Set when the API server could not be reached at all (a network failure, not a refusal). */
  unreachable?: string;
  /**
   * `istioctl proxy-status` as printed, so that a snapshot directory keeps istioctl's own output; only
   * when it lists no proxy outside the plan's namespaces (the entries are filtered, the text cannot be).
   */
  proxyStatusText?: string;
}

interface ResourceType {
  kind: string;
  /** "" for the core group. */
  group: string;
  /** Tried in order: a 404 on one falls back to the next (older Istio releases serve only v1beta1). */
  versions: readonly string[];
  plural: string;
  /** A CustomResourceDefinition: not served at all means "not installed", an empty list, not an error. */
  crd: boolean;
}

const core = (kind: string, plural: string): ResourceType => ({ kind, group: "", versions: ["v1"], plural, crd: false });
const istio = (kind: string, group: string, plural: string, versions: string[]): ResourceType => ({
  kind,
  group,
  versions,
  plural,
  crd: true,
});

const NAMESPACE = core("Namespace", "namespaces");
const POD = core("Pod", "pods");
const SERVICE = core("Service", "services");
const SERVICE_ACCOUNT = core("ServiceAccount", "serviceaccounts");
const CONFIG_MAP = core("ConfigMap", "configmaps");
const EVENT = core("Event", "events");
const ENDPOINT_SLICE: ResourceType = { kind: "EndpointSlice", group: "discovery.k8s.io", versions: ["v1"], plural: "endpointslices", crd: false };
const apps = (kind: string, plural: string): ResourceType => ({ kind, group: "apps", versions: ["v1"], plural, crd: false });
const DEPLOYMENT = apps("Deployment", "deployments");
const WORKLOAD_TYPES = [DEPLOYMENT, apps("StatefulSet", "statefulsets"), apps("DaemonSet", "daemonsets")];
const SECURITY = ["v1", "v1beta1"];
const CONTROL_PLANE_REVISION = istio("ControlPlaneRevision", "mesh.cloud.google.com", "controlplanerevisions", ["v1beta1"]);
/** The mesh config ConfigMaps of Cloud Service Mesh's managed revisions (regular, rapid, stable channels). */
const MANAGED_MESH_CONFIG = /^istio-asm-managed(-[a-z]+)?$/;
const NETWORKING = ["v1", "v1beta1", "v1alpha3"];

/** The object kinds behind each input (configDumps, proxyLogs, proxyStatus and istioctlAnalyze are not objects). */
const TYPES_BY_INPUT: Partial<Record<Input, readonly ResourceType[]>> = {
  pods: [POD],
  services: [SERVICE],
  endpointSlices: [ENDPOINT_SLICE],
  workloads: WORKLOAD_TYPES,
  serviceAccounts: [SERVICE_ACCOUNT],
  peerAuthentications: [istio("PeerAuthentication", "security.istio.io", "peerauthentications", SECURITY)],
  destinationRules: [istio("DestinationRule", "networking.istio.io", "destinationrules", NETWORKING)],
  authorizationPolicies: [istio("AuthorizationPolicy", "security.istio.io", "authorizationpolicies", SECURITY)],
  sidecars: [istio("Sidecar", "networking.istio.io", "sidecars", NETWORKING)],
  meshConfig: [CONFIG_MAP],
  events: [EVENT],
  controlPlaneRevisions: [CONTROL_PLANE_REVISION],
};

/**
 * What each namespace is listed for. A target namespace holds the server side (pods, policies, events);
 * a source namespace only the client's outbound rules here: the client itself is resolved step by step
 * (listSource), its pods listed by its selector, never all of them; the root namespace holds mesh-wide
 * policies and mesh config.
 */
const ROLE_INPUTS = {
  target: [
    "pods",
    "services",
    "endpointSlices",
    "workloads",
    "serviceAccounts",
    "peerAuthentications",
    "destinationRules",
    "authorizationPolicies",
    "sidecars",
    "events",
  ],
  source: ["serviceAccounts", "destinationRules", "sidecars"],
  root: ["peerAuthentications", "destinationRules", "authorizationPolicies", "meshConfig", "events"],
} as const satisfies Record<string, readonly Input[]>;

type Role = keyof typeof ROLE_INPUTS;

/** Mesh config and injector templates: `istio`, `istio-<revision>`, `istio-sidecar-injector*`. */
const MESH_CONFIG_MAP = /^istio(-.+)?$/;
/** Namespace names as Kubernetes allows them (DNS labels). */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** The label every Namespace carries (Kubernetes ≥ 1.21): lets one request fetch a few namespaces by name. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
const NAMES_PER_SELECTOR = 100;
/** A source Service's pods normally share one owner; a few more cover a rollout in progress. */
const MAX_SOURCE_OWNERS = 3;
const MAX_PROXY_CONCURRENCY = 8;

/**
 * Fills a snapshot from a live cluster with exactly the inputs of the plan, scoped to its namespaces.
 * Independent requests run concurrently; lists are paged; every call has a timeout. Whatever cannot
 * be read (forbidden, timed out, no istioctl) is recorded in `unavailable` with the reason and what to
 * do, and the rest is still collected: this never throws for a cluster-side failure.
 */
export async function collectLive(kc: KubeConfig, plan: CollectPlan, options: CollectOptions = {}): Promise<LiveSnapshot> {
  const collector = new LiveCollector(kc, plan, options);
  return collector.collect();
}

class LiveCollector {
  private readonly client: KubeClient;
  private readonly snapshot: LiveSnapshot = { ...emptySnapshot(), notes: [] };
  private readonly failures = new Map<Input, Failure[]>();
  private readonly istioctl: IstioctlRunner | null;
  private readonly pageSize: number;
  private readonly proxyTimeoutMs: number;
  private readonly progress: (message: string) => void;
  /** Version index per kind, learnt from a 404 on a newer version. */
  private readonly servedVersion = new Map<string, number>();
  private readonly notServedNoted = new Set<string>();
  /** Exec streams and istioctl processes at once: each holds a connection or a process for seconds. */
  private readonly proxyLimit = new Semaphore(MAX_PROXY_CONCURRENCY);

  constructor(
    private readonly kc: KubeConfig,
    private readonly plan: CollectPlan,
    private readonly options: CollectOptions,
  ) {
    this.client = new KubeClient(kc, {
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    });
    this.istioctl = options.istioctl === undefined ? defaultIstioctlRunner(kubeConfigOrigin(kc)) : options.istioctl;
    this.pageSize = options.pageSize ?? 1000;
    this.proxyTimeoutMs = options.proxyTimeoutMs ?? 30_000;
    this.progress = options.onProgress ?? (() => undefined);
  }

  private wants(input: Input): boolean {
    return this.plan.inputs.has(input);
  }

  private get wantsProxies(): boolean {
    return this.wants("configDumps") || this.wants("proxyLogs") || this.wants("proxyStats");
  }

  async collect(): Promise<LiveSnapshot> {
    const istioctlWork = this.collectIstioctl();
    if (this.plan.mode === "check") await this.collectCheck(this.plan);
    else await this.collectScan(this.plan);
    await istioctlWork;
    for (const [input, failures] of this.failures) {
      this.snapshot.unavailable[input] = summarise(failures.map((f) => f.reason));
    }
    return this.snapshot;
  }

  private async collectCheck(plan: CheckCollectPlan): Promise<void> {
    const roles = new Map<string, Set<Role>>();
    const assign = (ns: string, role: Role) => {
      const set = roles.get(ns) ?? new Set<Role>();
      set.add(role);
      roles.set(ns, set);
    };
    assign(plan.target.namespace, "target");
    if (plan.source) assign(plan.source.namespace, "source");
    assign(plan.rootNamespace, "root");

    const lists: Promise<unknown>[] = [];
    const authorizationLists: Promise<unknown>[] = [];
    const meshConfigLists: Promise<unknown>[] = [];
    const targetObjects: Promise<unknown>[] = [];
    for (const [namespace, nsRoles] of roles) {
      for (const input of this.inputsFor(nsRoles)) {
        // The target namespace's workloads are listed once its pods say which kinds own them.
        if (input === "workloads" && namespace === plan.target.namespace) continue;
        // Its events only explain restarts (MTLS502): listed once its pods show one.
        if (input === "events" && namespace === plan.target.namespace && !nsRoles.has("root")) continue;
        for (const type of TYPES_BY_INPUT[input] ?? []) {
          const query: ListQuery = {};
          if (input === "endpointSlices") query.labelSelector = `kubernetes.io/service-name=${plan.target.service}`;
          const task = this.listInto(input, type, namespace, query);
          lists.push(task);
          if (input === "authorizationPolicies") authorizationLists.push(task);
          if (input === "meshConfig") meshConfigLists.push(task);
          if (namespace === plan.target.namespace && (input === "services" || input === "pods")) targetObjects.push(task);
        }
      }
    }

    const targetWorkloads = Promise.all(targetObjects).then(() => this.listTargetWorkloads(plan));
    const targetEvents = Promise.all(targetObjects).then(() => this.listTargetEvents(plan, roles.get(plan.target.namespace)));
    const sourcePods = this.listSource(plan);
    const namespaces = Promise.all([...authorizationLists, ...meshConfigLists]).then(async () => {
      const extraRoots = await this.listExtraRootNamespaces([plan.rootNamespace]);
      await this.collectNamespaces([plan.target.namespace, plan.source?.namespace, plan.rootNamespace, ...extraRoots]);
      if (this.looksManaged()) await this.collectControlPlaneRevisions(plan.rootNamespace);
    });
    const proxies = Promise.all([...targetObjects, targetWorkloads, sourcePods]).then(() => {
      if (!this.wantsProxies) return;
      const choice = pickProxyPods(this.snapshot, plan.source ? { target: plan.target, source: plan.source } : { target: plan.target }, this.options.maxProxiesPerSide ?? 6, this.options.maxProxiesPerWorkload);
      this.snapshot.notes.push(...choice.notes);
      const targetBlocked = this.failuresIn(["pods", "services"], plan.target.namespace);
      const sourceBlocked = plan.source ? this.failuresIn(["pods", "services", "workloads"], plan.source.namespace) : [];
      const blocked = [...targetBlocked, ...sourceBlocked];
      if (targetBlocked.length > 0 && (!plan.source || sourceBlocked.length > 0)) {
        return this.inspectProxies([], `no proxy could be chosen: ${summarise(blocked)}`);
      }
      if (blocked.length > 0) this.snapshot.notes.push(`some proxies could not be chosen: ${summarise(blocked)}`);
      return this.inspectProxies([...(targetBlocked.length > 0 ? [] : choice.target), ...(sourceBlocked.length > 0 ? [] : choice.source)], undefined);
    });
    await Promise.all([...lists, targetWorkloads, targetEvents, sourcePods, namespaces, proxies]);
  }

  /**
   * The target namespace's events, when a container of a target pod has restarted: they are what
   * tells a probe failure from a crash (MTLS502), and no check reads them otherwise. When the pods or
   * the Service could not be read, the events are listed anyway.
   */
  private async listTargetEvents(plan: CheckCollectPlan, roles: ReadonlySet<Role> | undefined): Promise<void> {
    const ns = plan.target.namespace;
    if (!this.wants("events") || roles?.has("root")) return;
    const known = this.failuresIn(["pods", "services"], ns).length === 0;
    const selector = serviceSelector(this.snapshot, plan.target);
    const restarted = this.snapshot.pods.some(
      (pod) =>
        pod.metadata?.namespace === ns &&
        (selector === undefined || matchesSelector(selector, pod.metadata?.labels)) &&
        (pod.status?.containerStatuses ?? []).some((s) => (s.restartCount ?? 0) > 0),
    );
    if (known && !restarted) return;
    await this.listInto("events", EVENT, ns, {});
  }

  /**
   * The target namespace's Deployments, StatefulSets and DaemonSets, of the kinds that own its pods
   * (most namespaces run only Deployments: one request instead of three). Every kind when the pods are
   * not known, or when a `--from` in this namespace is no Service: it is then looked up by name among
   * all of them, and their names are what MTLS902 suggests.
   */
  private async listTargetWorkloads(plan: CheckCollectPlan): Promise<void> {
    const ns = plan.target.namespace;
    const servicesKnown = this.wants("services") || this.wantsProxies;
    const sourceIsService =
      servicesKnown &&
      this.failuresIn(["services"], ns).length === 0 &&
      this.snapshot.services.some((s) => s.metadata?.namespace === ns && s.metadata?.name === plan.source?.name);
    // A workload source is resolved from these lists, for its pods and proxies as much as for workloads.
    const resolvesSource = plan.source?.namespace === ns && !sourceIsService;
    if (!this.wants("workloads") && !(resolvesSource && this.wantsProxies)) return;
    const kinds = resolvesSource ? undefined : this.workloadKindsOwningPods(ns);
    const types = kinds === undefined ? WORKLOAD_TYPES : WORKLOAD_TYPES.filter((t) => kinds.has(t.kind));
    await Promise.all(types.map((type) => this.listInto("workloads", type, ns, {})));
  }

  /** The workload kinds that own the namespace's listed pods, or undefined when its pods were not listed. */
  private workloadKindsOwningPods(namespace: string): Set<string> | undefined {
    const podsListed = (this.wants("pods") || this.wantsProxies) && this.failuresIn(["pods"], namespace).length === 0;
    if (!podsListed) return undefined;
    const kinds = new Set<string>();
    for (const pod of this.snapshot.pods) {
      if (pod.metadata?.namespace !== namespace) continue;
      const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
      if (owner?.kind === "ReplicaSet" || owner?.kind === "Deployment") kinds.add("Deployment");
      else if (owner?.kind === "StatefulSet" || owner?.kind === "DaemonSet") kinds.add(owner.kind);
    }
    return kinds;
  }

  private async collectScan(plan: ScanCollectPlan): Promise<void> {
    const everywhere = plan.namespaces.length === 0;
    const lists: Promise<unknown>[] = [];
    const authorizationLists: Promise<unknown>[] = [];
    const meshConfigLists: Promise<unknown>[] = [];
    const podLists: Promise<unknown>[] = [];
    const track = (input: Input, task: Promise<unknown>) => {
      lists.push(task);
      if (input === "authorizationPolicies") authorizationLists.push(task);
      if (input === "meshConfig") meshConfigLists.push(task);
      if (input === "pods") podLists.push(task);
    };
    const scanned = this.inputsFor(new Set(["target"]));
    const rooted = this.inputsFor(new Set(["root"]));
    if (everywhere) {
      for (const input of scanned) {
        // Events cluster-wide can be huge: they stay capped like per-namespace lists.
        for (const type of TYPES_BY_INPUT[input] ?? []) track(input, this.listInto(input, type, undefined, {}));
      }
      for (const input of rooted.filter((i) => !scanned.includes(i))) {
        for (const type of TYPES_BY_INPUT[input] ?? []) track(input, this.listInto(input, type, plan.rootNamespace, {}));
      }
    } else {
      const roles = new Map<string, Set<Role>>();
      for (const ns of plan.namespaces) roles.set(ns, new Set<Role>(["target"]));
      roles.set(plan.rootNamespace, new Set<Role>([...(roles.get(plan.rootNamespace) ?? []), "root"]));
      for (const [namespace, nsRoles] of roles) {
        for (const input of this.inputsFor(nsRoles)) {
          for (const type of TYPES_BY_INPUT[input] ?? []) track(input, this.listInto(input, type, namespace, {}));
        }
      }
    }

    const namespaces = Promise.all([...authorizationLists, ...meshConfigLists]).then(async () => {
      const extraRoots = await this.listExtraRootNamespaces([plan.rootNamespace]);
      if (everywhere) await this.collectAllNamespaces();
      else await this.collectNamespaces([...plan.namespaces, plan.rootNamespace, ...extraRoots]);
    });
    const revisions = this.collectControlPlaneRevisions(plan.rootNamespace);
    const proxies = Promise.all(podLists).then(() => {
      if (!this.wantsProxies) return;
      const scope = everywhere ? undefined : new Set(plan.namespaces);
      const pods = this.snapshot.pods.filter((p) => scope === undefined || scope.has(p.metadata?.namespace ?? ""));
      const choice = pickScanProxyPods(pods, this.maxPerSide, this.options.maxProxiesTotal ?? 50);
      this.snapshot.notes.push(...choice.notes);
      const blocked = everywhere ? this.failuresIn(["pods"], "") : plan.namespaces.flatMap((ns) => this.failuresIn(["pods"], ns));
      const allBlocked = blocked.length > 0 && choice.pods.length === 0;
      if (blocked.length > 0 && !allBlocked) this.snapshot.notes.push(`some proxies could not be chosen: ${summarise(blocked)}`);
      return this.inspectProxies(choice.pods, allBlocked ? `no proxy could be chosen: ${summarise(blocked)}` : undefined);
    });
    await Promise.all([...lists, namespaces, proxies, revisions]);
  }

  /**
   * A check lists ControlPlaneRevisions only where the mesh is Cloud Service Mesh's managed one (its
   * `istio-asm-managed*` mesh config, or a namespace on an `asm-managed*` revision): one request fewer
   * everywhere else, where the CRD does not exist. A scan always asks.
   */
  private looksManaged(): boolean {
    return (
      this.snapshot.configMaps.some((c) => MANAGED_MESH_CONFIG.test(c.metadata?.name ?? "")) ||
      this.snapshot.namespaces.some((n) => n.metadata?.labels?.["istio.io/rev"]?.startsWith("asm-managed") === true)
    );
  }

  private async collectControlPlaneRevisions(rootNamespace: string): Promise<void> {
    if (!this.wants("controlPlaneRevisions")) return;
    await this.listInto("controlPlaneRevisions", CONTROL_PLANE_REVISION, rootNamespace, {});
  }

  private get maxPerSide(): number {
    return this.options.maxProxiesPerSide ?? 5;
  }

  /** The object inputs to list in a namespace with these roles: the wanted ones, plus what proxy selection reads. */
  private inputsFor(roles: ReadonlySet<Role>): Input[] {
    const inputs = new Set<Input>();
    for (const role of roles) {
      for (const input of ROLE_INPUTS[role]) {
        const neededForProxies = this.wantsProxies && role === "target" && (input === "pods" || input === "services");
        if (this.wants(input) || neededForProxies) inputs.add(input);
      }
    }
    return [...inputs];
  }

  /**
   * The `--from` client in a namespace other than the target's, with as few requests as resolving it
   * takes: by name, a Service first (a Service of that name wins), then a Deployment, then a
   * StatefulSet or DaemonSet; only when nothing has that name are the namespace's Services and
   * workloads listed, for the names MTLS902 suggests. For a Service, its pods by its selector and the
   * workload that owns them, by name; else the pods of the workload named so.
   */
  private async listSource(plan: CheckCollectPlan): Promise<void> {
    const source = plan.source;
    if (!source || source.namespace === plan.target.namespace) return;
    const wantsPods = this.wants("pods") || this.wantsProxies;
    if (!wantsPods && !this.wants("services") && !this.wants("workloads")) return;
    const ns = source.namespace;
    const named = (list: readonly KubeObject[], kind?: string) =>
      list.some((o) => o.metadata?.namespace === ns && o.metadata?.name === source.name && (kind === undefined || o.kind === kind));
    await this.getInto("services", SERVICE, ns, source.name);
    const servicesFailed = this.failuresIn(["services"], ns);
    if (servicesFailed.length > 0) {
      if (wantsPods) this.fail("pods", `the pods of ${ns}/${source.name} were not listed: ${summarise(servicesFailed)}`, ns);
      if (this.wants("workloads")) this.fail("workloads", `the workload of ${ns}/${source.name} was not read: ${summarise(servicesFailed)}`, ns);
      return;
    }
    const isService = named(this.snapshot.services);
    if (!isService) {
      await this.getInto("workloads", DEPLOYMENT, ns, source.name);
      if (!named(this.snapshot.workloads, DEPLOYMENT.kind)) {
        await Promise.all(WORKLOAD_TYPES.filter((t) => t !== DEPLOYMENT).map((type) => this.getInto("workloads", type, ns, source.name)));
      }
      if (!named(this.snapshot.workloads)) {
        await Promise.all([this.listInto("services", SERVICE, ns, {}), ...WORKLOAD_TYPES.map((type) => this.listInto("workloads", type, ns, {}))]);
      }
    }
    const resolved = resolveSourceSelector(this.snapshot, source);
    if (!resolved || !wantsPods) return;
    if (this.failuresIn(["workloads"], ns).length > 0) return;
    await this.listInto("pods", POD, ns, { labelSelector: labelSelectorQuery(resolved.selector) });
    if (isService && this.wants("workloads")) await this.getOwners(ns);
  }

  /**
   * The workloads owning a source Service's pods (the only pods listed in its namespace), fetched by
   * name; a Deployment's name is its ReplicaSet's without the `pod-template-hash` suffix.
   */
  private async getOwners(namespace: string): Promise<void> {
    const pods = this.snapshot.pods.filter((p) => p.metadata?.namespace === namespace);
    const owners = new Map<string, ResourceType>();
    for (const pod of pods) {
      const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
      const hash = pod.metadata?.labels?.["pod-template-hash"];
      if (owner?.kind === "ReplicaSet" && owner.name && hash && owner.name.endsWith(`-${hash}`)) {
        owners.set(`Deployment/${owner.name.slice(0, -hash.length - 1)}`, DEPLOYMENT);
      } else if (owner?.name && (owner.kind === "StatefulSet" || owner.kind === "DaemonSet" || owner.kind === "Deployment")) {
        const type = WORKLOAD_TYPES.find((t) => t.kind === owner.kind);
        if (type) owners.set(`${owner.kind}/${owner.name}`, type);
      }
    }
    const wanted = [...owners].slice(0, MAX_SOURCE_OWNERS);
    await Promise.all(wanted.map(([key, type]) => this.getInto("workloads", type, namespace, key.slice(key.indexOf("/") + 1))));
  }

  /**
   * Mesh config can move the root namespace (`rootNamespace`) away from the control plane's: its
   * mesh-wide policies are then listed there too. Returns the extra root namespaces.
   */
  private async listExtraRootNamespaces(known: readonly string[]): Promise<string[]> {
    const roots = new Set<string>();
    for (const cm of this.snapshot.configMaps) {
      const mesh = cm.data?.["mesh"];
      if (mesh === undefined) continue;
      const root = parseMeshConfig(mesh).rootNamespace;
      if (!known.includes(root) && NAMESPACE_NAME.test(root)) roots.add(root);
    }
    const extra = [...roots];
    const policyInputs = ROLE_INPUTS.root.filter((i) => i !== "meshConfig" && i !== "events" && this.wants(i));
    await Promise.all(
      extra.flatMap((ns) => policyInputs.flatMap((input) => (TYPES_BY_INPUT[input] ?? []).map((type) => this.listInto(input, type, ns, {})))),
    );
    return extra;
  }

  /**
   * Fetches the Namespace objects by name in one request (label `kubernetes.io/metadata.name in (...)`),
   * with the namespaces AuthorizationPolicies name. A wildcard pattern (`prod-*`) can only be checked
   * against every namespace, so it makes this list them all.
   */
  private async collectNamespaces(base: readonly (string | undefined)[]): Promise<void> {
    if (!this.wants("namespaces")) return;
    const names = new Set(base.filter((n): n is string => n !== undefined));
    let patterns = false;
    for (const policy of this.snapshot.authorizationPolicies) {
      for (const entry of referencedNamespaces(policy)) {
        if (entry.includes("*")) patterns ||= entry !== "*";
        else names.add(entry);
      }
    }
    if (patterns) {
      await this.collectAllNamespaces();
      return;
    }
    const valid = [...names].filter((n) => NAMESPACE_NAME.test(n)).sort();
    const chunks: string[][] = [];
    for (let i = 0; i < valid.length; i += NAMES_PER_SELECTOR) chunks.push(valid.slice(i, i + NAMES_PER_SELECTOR));
    await Promise.all(
      chunks.map((chunk) => this.listInto("namespaces", NAMESPACE, undefined, { labelSelector: `${NAMESPACE_NAME_LABEL} in (${chunk.join(",")})` })),
    );
    if (this.failures.has("namespaces")) return;
    // A namespace without the label (API servers before 1.21 set none) is fetched by name; one that
    // does not exist answers 404 and stays absent, which is what checks of missing namespaces need.
    const found = new Set(this.snapshot.namespaces.map((n) => n.metadata?.name));
    const missing = valid.filter((n) => !found.has(n));
    await Promise.all(missing.map((name) => this.getInto("namespaces", NAMESPACE, undefined, name)));
  }

  private async collectAllNamespaces(): Promise<void> {
    if (!this.wants("namespaces")) return;
    await this.listInto("namespaces", NAMESPACE, undefined, {});
  }

  private async inspectProxies(pods: readonly Pod[], blocked: string | undefined): Promise<void> {
    if (blocked !== undefined) {
      if (this.wants("configDumps")) this.fail("configDumps", blocked);
      if (this.wants("proxyLogs")) this.fail("proxyLogs", blocked);
      if (this.wants("proxyStats")) this.fail("proxyStats", blocked);
      return;
    }
    const dumpFailures: string[] = [];
    const logFailures: string[] = [];
    const statsFailures: string[] = [];
    let dumps = 0;
    let logs = 0;
    let stats = 0;
    await Promise.all(
      pods.map(async (pod) => {
        const namespace = pod.metadata?.namespace ?? "";
        const name = pod.metadata?.name ?? "";
        const key = podKey(pod);
        const work: Promise<void>[] = [];
        if (this.wants("configDumps")) {
          work.push(
            this.proxyLimit.run(() => this.readConfigDump(namespace, name)).then((result) => {
              if ("configDump" in result) {
                this.proxyData(key).configDump = result.configDump;
                dumps++;
              } else {
                dumpFailures.push(result.failure);
              }
            }),
          );
        }
        if (this.wants("proxyStats")) {
          work.push(
            this.proxyLimit.run(() => this.readProxyStats(namespace, name)).then((result) => {
              if ("stats" in result) {
                this.proxyData(key).stats = result.stats;
                stats++;
              } else {
                statsFailures.push(result.failure);
              }
            }),
          );
        }
        if (this.wants("proxyLogs")) {
          work.push(
            this.readProxyLog(namespace, name).then((result) => {
              if ("log" in result) {
                this.proxyData(key).log = result.log;
                logs++;
              } else {
                logFailures.push(result.failure);
              }
            }),
          );
        }
        await Promise.all(work);
      }),
    );
    this.settle("configDumps", pods.length, dumps, dumpFailures);
    this.settle("proxyLogs", pods.length, logs, logFailures);
    this.settle("proxyStats", pods.length, stats, statsFailures);
  }

  /** None read out of some: the input is unavailable. Some read: the checks run on those, the rest is a note. */
  private settle(input: Input, attempted: number, succeeded: number, failures: string[]): void {
    if (failures.length === 0) return;
    if (succeeded === 0 && attempted > 0) this.fail(input, summarise(failures));
    else this.snapshot.notes.push(`${input}: ${summarise(failures)}`);
  }

  private proxyData(key: string) {
    let data = this.snapshot.proxies.get(key);
    if (!data) this.snapshot.proxies.set(key, (data = {}));
    return data;
  }

  /** Exec `pilot-agent request GET config_dump` in istio-proxy; istioctl proxy-config when exec fails. */
  private async readConfigDump(namespace: string, pod: string): Promise<{ configDump: unknown } | { failure: string }> {
    this.progress(`reading the config dump of ${namespace}/${pod}`);
    const maxBytes = this.options.maxConfigDumpBytes ?? 64 * 1024 * 1024;
    let execFailure: string;
    try {
      const { stdout } = await execInPod(this.kc, {
        namespace,
        pod,
        container: "istio-proxy",
        command: ["pilot-agent", "request", "GET", "config_dump"],
        timeoutMs: this.proxyTimeoutMs,
        maxBytes,
      });
      try {
        return { configDump: JSON.parse(stdout) };
      } catch {
        execFailure = `the config dump of ${namespace}/${pod} is not JSON (pilot-agent printed: ${stdout.slice(0, 120).trim()})`;
      }
    } catch (err) {
      execFailure = err instanceof KubeApiError ? err.message : `cannot exec into ${namespace}/${pod}: ${(err as Error).message}`;
    }
    if (this.istioctl === null) {
      return { failure: `${execFailure}; no fallback through istioctl proxy-config: ${istioctlMissingReason()}` };
    }
    const viaIstioctl = await istioctlConfigDump(this.istioctl, namespace, pod, { timeoutMs: this.proxyTimeoutMs, maxBytes });
    if (viaIstioctl.configDump !== undefined) return { configDump: viaIstioctl.configDump };
    return { failure: `${execFailure}; the istioctl fallback failed too: ${viaIstioctl.failure ?? "no output"}` };
  }

  /** Exec `pilot-agent request GET stats/prometheus` in istio-proxy; istioctl envoy-stats when exec fails. */
  private async readProxyStats(namespace: string, pod: string): Promise<{ stats: string } | { failure: string }> {
    this.progress(`reading the stats of ${namespace}/${pod}`);
    const maxBytes = 16 * 1024 * 1024;
    let execFailure: string;
    try {
      const { stdout } = await execInPod(this.kc, {
        namespace,
        pod,
        container: "istio-proxy",
        command: ["pilot-agent", "request", "GET", "stats/prometheus"],
        timeoutMs: this.proxyTimeoutMs,
        maxBytes,
      });
      return { stats: stdout };
    } catch (err) {
      execFailure = err instanceof KubeApiError ? err.message : `cannot exec into ${namespace}/${pod}: ${(err as Error).message}`;
    }
    if (this.istioctl === null) {
      return { failure: `${execFailure}; no fallback through istioctl experimental envoy-stats: ${istioctlMissingReason()}` };
    }
    const viaIstioctl = await istioctlEnvoyStats(this.istioctl, namespace, pod, { timeoutMs: this.proxyTimeoutMs, maxBytes });
    if (viaIstioctl.stats !== undefined) return { stats: viaIstioctl.stats };
    return { failure: `${execFailure}; the istioctl fallback failed too: ${viaIstioctl.failure ?? "no output"}` };
  }

  private async readProxyLog(namespace: string, pod: string): Promise<{ log: string } | { failure: string }> {
    const action: KubeAction = { verb: "get", resource: "pods/log", namespace, name: pod };
    try {
      const log = await this.client.getText(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
        { container: "istio-proxy", tailLines: this.options.logTailLines ?? 500, limitBytes: 4 * 1024 * 1024 },
        action,
      );
      return { log };
    } catch (err) {
      return { failure: err instanceof KubeApiError ? err.message : `cannot read the istio-proxy log of ${namespace}/${pod}: ${(err as Error).message}` };
    }
  }

  private async collectIstioctl(): Promise<void> {
    const wantsStatus = this.wants("proxyStatus");
    const wantsAnalyze = this.wants("istioctlAnalyze");
    if (!wantsStatus && !wantsAnalyze) return;
    const runner = this.istioctl;
    if (runner === null) {
      const reason = istioctlMissingReason();
      if (wantsStatus) this.fail("proxyStatus", reason);
      if (wantsAnalyze) this.fail("istioctlAnalyze", reason);
      return;
    }
    const scope = this.istioctlScope();
    await Promise.all([
      wantsStatus &&
        istioctlProxyStatus(runner).then((result) => {
          this.progress("read istioctl proxy-status");
          if (result.entries === undefined) return this.fail("proxyStatus", result.failure ?? "istioctl proxy-status failed");
          const inScope = (pod: string) => scope === "all" || scope.includes(pod.split("/")[0] ?? "");
          const entries = result.entries.filter((e) => inScope(e.pod));
          this.snapshot.proxyStatus = entries;
          // istioctl's own text lists every proxy of the mesh: kept only when it holds nothing out of scope.
          if (result.text !== undefined && entries.length === result.entries.length) this.snapshot.proxyStatusText = result.text;
        }),
      wantsAnalyze &&
        istioctlAnalyze(runner, scope).then((result) => {
          this.progress("read istioctl analyze");
          if (result.messages === undefined) return this.fail("istioctlAnalyze", result.failure ?? "istioctl analyze failed");
          this.snapshot.analyzeMessages = result.messages;
        }),
    ]);
  }

  private istioctlScope(): string[] | "all" {
    if (this.plan.mode === "scan") return this.plan.namespaces.length === 0 ? "all" : [...this.plan.namespaces];
    return [...new Set([this.plan.target.namespace, ...(this.plan.source ? [this.plan.source.namespace] : [])])];
  }

  /** Lists one kind into the snapshot; a failure is recorded against the input, never thrown. */
  private async listInto(input: Input, type: ResourceType, namespace: string | undefined, query: ListQuery): Promise<void> {
    const maxPages = input === "events" ? (this.options.maxEventPages ?? 2) : undefined;
    try {
      const { items, truncated } = await this.listAll(type, namespace, query, maxPages);
      for (const item of items) {
        if (input === "meshConfig" && !MESH_CONFIG_MAP.test(item.metadata?.name ?? "")) continue;
        addObject(this.snapshot, item);
      }
      const where = namespace === undefined ? "all namespaces" : namespace;
      this.progress(`${type.plural} in ${where}: ${items.length}`);
      if (truncated) {
        this.snapshot.notes.push(`only the first ${items.length} ${type.plural} in ${where} were read (${maxPages} pages)`);
      }
    } catch (err) {
      this.noteUnreachable(err);
      this.fail(input, err instanceof KubeApiError ? err.message : `cannot list ${type.plural}: ${(err as Error).message}`, namespace);
    }
  }

  /** Reads one object by name into the snapshot; absent is not a failure. */
  private async getInto(input: Input, type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    const version = type.versions[0] ?? "v1";
    const prefix = type.group === "" ? `/api/${version}` : `/apis/${type.group}/${version}`;
    const resource = type.group === "" ? type.plural : `${type.plural}.${type.group}`;
    const action: KubeAction = namespace === undefined ? { verb: "get", resource, name } : { verb: "get", resource, namespace, name };
    const scope = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
    try {
      const body = await this.client.getJson(`${prefix}${scope}/${type.plural}/${encodeURIComponent(name)}`, {}, action);
      addObject(this.snapshot, normalise(body, type.kind, type.group === "" ? version : `${type.group}/${version}`));
    } catch (err) {
      if (err instanceof KubeApiError && err.failure === "not-found") return;
      this.noteUnreachable(err);
      this.fail(input, err instanceof KubeApiError ? err.message : `cannot get ${resource} ${name}: ${(err as Error).message}`, namespace);
    }
  }

  /** Pages through a list (`limit`/`continue`); restarts once when the continue token expired (410). */
  private async listAll(
    type: ResourceType,
    namespace: string | undefined,
    query: ListQuery,
    maxPages: number | undefined,
  ): Promise<{ items: KubeObject[]; truncated: boolean }> {
    const start = this.servedVersion.get(type.kind) ?? 0;
    for (let v = start; v < type.versions.length; v++) {
      const version = type.versions[v] ?? "v1";
      try {
        const result = await this.listVersion(type, version, namespace, query, maxPages);
        return result;
      } catch (err) {
        const notServed = err instanceof KubeApiError && err.failure === "not-found" && type.crd;
        if (!notServed) throw err;
        this.servedVersion.set(type.kind, Math.max(this.servedVersion.get(type.kind) ?? 0, v + 1));
      }
    }
    if (!this.notServedNoted.has(type.kind)) {
      this.notServedNoted.add(type.kind);
      this.snapshot.notes.push(`${type.kind} is not served by this cluster (Istio's CRDs are not installed): none were collected`);
    }
    return { items: [], truncated: false };
  }

  private async listVersion(
    type: ResourceType,
    version: string,
    namespace: string | undefined,
    query: ListQuery,
    maxPages: number | undefined,
  ): Promise<{ items: KubeObject[]; truncated: boolean }> {
    const prefix = type.group === "" ? `/api/${version}` : `/apis/${type.group}/${version}`;
    const scope = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
    const apiPath = `${prefix}${scope}/${type.plural}`;
    const resource = type.group === "" ? type.plural : `${type.plural}.${type.group}`;
    const action: KubeAction = namespace === undefined ? { verb: "list", resource } : { verb: "list", resource, namespace };
    let restarted = false;
    for (;;) {
      const items: KubeObject[] = [];
      let token: string | undefined;
      let pages = 0;
      try {
        do {
          const body = (await this.client.getJson(
            apiPath,
            { limit: this.pageSize, continue: token, labelSelector: query.labelSelector, fieldSelector: query.fieldSelector },
            action,
          )) as ListBody;
          const apiVersion = body.apiVersion ?? (type.group === "" ? version : `${type.group}/${version}`);
          for (const raw of body.items ?? []) items.push(normalise(raw, type.kind, apiVersion));
          token = body.metadata?.continue || undefined;
          pages++;
        } while (token !== undefined && (maxPages === undefined || pages < maxPages));
        return { items, truncated: token !== undefined };
      } catch (err) {
        const expired = err instanceof KubeApiError && err.failure === "gone" && token !== undefined;
        if (!expired || restarted) throw err;
        restarted = true;
      }
    }
  }

  private noteUnreachable(err: unknown): void {
    if (err instanceof KubeApiError && err.failure === "network") this.snapshot.unreachable ??= err.message;
  }

  private fail(input: Input, reason: string, namespace?: string): void {
    const list = this.failures.get(input) ?? [];
    if (!list.some((f) => f.reason === reason)) list.push(namespace === undefined ? { reason } : { reason, namespace });
    this.failures.set(input, list);
  }

  /** Reasons some of these inputs could not be read in a namespace (cluster-wide failures count everywhere). */
  private failuresIn(inputs: readonly Input[], namespace: string): string[] {
    return inputs.flatMap((input) =>
      (this.failures.get(input) ?? []).filter((f) => f.namespace === undefined || f.namespace === namespace).map((f) => f.reason),
    );
  }
}

interface Failure {
  reason: string;
  namespace?: string;
}

interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

interface ListBody {
  apiVersion?: string;
  items?: unknown[];
  metadata?: { continue?: string };
}

/** List items come without kind and apiVersion; managedFields are noise that can be large. */
function normalise(raw: unknown, kind: string, apiVersion: string): KubeObject {
  const obj = (raw !== null && typeof raw === "object" ? raw : {}) as KubeObject;
  const { managedFields: _dropped, ...metadata } = obj.metadata ?? {};
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersion, kind: obj.kind ?? kind, metadata };
}

/** Exact names and patterns an AuthorizationPolicy's `source.namespaces` / `notNamespaces` mention. */
function referencedNamespaces(policy: AuthorizationPolicy): string[] {
  const names: string[] = [];
  for (const rule of policy.spec?.rules ?? []) {
    for (const from of rule.from ?? []) {
      names.push(...(from.source?.namespaces ?? []), ...(from.source?.notNamespaces ?? []));
    }
  }
  return names;
}

/** Up to three distinct reasons, then how many more. */
function summarise(reasons: readonly string[]): string {
  const distinct = [...new Set(reasons)];
  const shown = distinct.slice(0, 3).join("; ");
  return distinct.length > 3 ? `${shown}; and ${distinct.length - 3} more` : shown;
}
