import type { MtlsMode, PeerAuthentication, Pod } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import { matchesLabels } from "./labels.js";
import { meshConfigFor } from "./mesh-config.js";
import { sortOldestFirst } from "./ordering.js";

export type ServerModeName = "STRICT" | "PERMISSIVE" | "DISABLE";

export interface ServerMode {
  mode: ServerModeName;
  /** `ns/name` of the PeerAuthentication that set the mode, or `default` when none did. */
  policyRef: string;
  policy?: PeerAuthentication;
}

export type PolicyLevel = "mesh" | "namespace" | "workload";

export interface IgnoredPolicy {
  policy: PeerAuthentication;
  winner: PeerAuthentication;
  level: PolicyLevel;
}

export interface PolicyLayers {
  mesh?: PeerAuthentication;
  namespace?: PeerAuthentication;
  workload?: PeerAuthentication;
}

function hasSelector(pa: PeerAuthentication): boolean {
  return Object.keys(pa.spec?.selector?.matchLabels ?? {}).length > 0;
}

function ref(pa: PeerAuthentication): string {
  return `${pa.metadata?.namespace ?? ""}/${pa.metadata?.name ?? ""}`;
}

function setMode(mode: MtlsMode | undefined): ServerModeName | undefined {
  return mode === "STRICT" || mode === "PERMISSIVE" || mode === "DISABLE" ? mode : undefined;
}

/** Mesh-wide policies (root namespace, no selector), oldest first: the first one wins. */
export function meshWidePolicies(view: SnapshotView): PeerAuthentication[] {
  const root = meshConfigFor(view).rootNamespace;
  return view.derived(`pa-mesh`, () => sortOldestFirst(view.peerAuthentications(root).filter((pa) => !hasSelector(pa))));
}

/** Namespace-wide policies of a namespace, oldest first. In the root namespace these are the mesh-wide ones. */
export function namespaceWidePolicies(view: SnapshotView, namespace: string): PeerAuthentication[] {
  const root = meshConfigFor(view).rootNamespace;
  if (namespace === root) return [];
  return view.derived(`pa-ns:${namespace}`, () =>
    sortOldestFirst(view.peerAuthentications(namespace).filter((pa) => !hasSelector(pa))),
  );
}

/** Workload policies (namespace, selector matching the pod), oldest first. Root-namespace selectors are ignored. */
export function workloadPolicies(view: SnapshotView, pod: Pod): PeerAuthentication[] {
  const namespace = pod.metadata?.namespace ?? "";
  const root = meshConfigFor(view).rootNamespace;
  if (namespace === root) return [];
  const candidates = view.derived(`pa-wl:${namespace}`, () =>
    sortOldestFirst(view.peerAuthentications(namespace).filter(hasSelector)),
  );
  return candidates.filter((pa) => matchesLabels(pa.spec?.selector?.matchLabels, pod.metadata?.labels));
}

export function policyLayers(view: SnapshotView, pod: Pod): PolicyLayers {
  const layers: PolicyLayers = {};
  const mesh = meshWidePolicies(view)[0];
  const namespace = namespaceWidePolicies(view, pod.metadata?.namespace ?? "")[0];
  const workload = workloadPolicies(view, pod)[0];
  if (mesh) layers.mesh = mesh;
  if (namespace) layers.namespace = namespace;
  if (workload) layers.workload = workload;
  return layers;
}

/**
 * The effective server mode of a pod on a container port, as Istio composes it: mesh-wide, overridden
 * by namespace-wide, overridden by the workload policy and then its `portLevelMtls` entry for the
 * container port. UNSET inherits; nothing at all is PERMISSIVE.
 */
export function effectiveServerMode(view: SnapshotView, pod: Pod, containerPort?: number): ServerMode {
  const layers = policyLayers(view, pod);
  let result: ServerMode = { mode: "PERMISSIVE", policyRef: "default" };
  for (const pa of [layers.mesh, layers.namespace, layers.workload]) {
    const mode = setMode(pa?.spec?.mtls?.mode);
    if (pa && mode) result = { mode, policyRef: ref(pa), policy: pa };
  }
  const workload = layers.workload;
  if (workload && containerPort !== undefined) {
    const portMode = setMode(workload.spec?.portLevelMtls?.[String(containerPort)]?.mode);
    if (portMode) result = { mode: portMode, policyRef: ref(workload), policy: workload };
  }
  return result;
}

/** Policies that lose to another at the same level: every mesh-wide or namespace-wide policy but the oldest. */
export function ignoredLevelPolicies(view: SnapshotView, namespaces: readonly string[]): IgnoredPolicy[] {
  const ignored: IgnoredPolicy[] = [];
  const collect = (list: PeerAuthentication[], level: PolicyLevel) => {
    const [winner, ...losers] = list;
    if (winner) for (const policy of losers) ignored.push({ policy, winner, level });
  };
  collect(meshWidePolicies(view), "mesh");
  for (const ns of namespaces) collect(namespaceWidePolicies(view, ns), "namespace");
  return ignored;
}
