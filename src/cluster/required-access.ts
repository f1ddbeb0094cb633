// Every Kubernetes permission the worker uses, in one table: the chart's roles grant exactly these
// (test/chart/rbac.test.ts renders them and compares) and `mtls-doctor preflight` asks the API server
// about each with a SelfSubjectAccessReview. Required: without it the mTLS table itself (target,
// workloads, server mode, what the client sends) would be wrong. Optional: only some checks are skipped.

import type { Input } from "./snapshot.js";

/** Why a permission is used; which ones a worker needs depends on its configuration. */
export type AccessFeature =
  /** Reading what the checks declare as inputs (src/cluster/collect-live.ts). */
  | "diagnose"
  /** Envoy config dumps through exec into istio-proxy (Helm `proxyInspection.exec`). */
  | "exec"
  /** Policy watches that trigger scans (an incident channel and `WATCH_POLICIES`). */
  | "watch"
  /** Applying and rolling back approved fixes (`FIXES_ENABLED`). */
  | "fixes"
  /** Managed Cloud Service Mesh revisions: MTLS107 in checks, and preflight, where mesh.cloud.google.com is served. */
  | "managed-mesh";

export interface AccessNeed {
  feature: AccessFeature;
  /** "" for the core group. */
  group: string;
  /** Plural, with `/subresource` where there is one (`pods/exec`). */
  resource: string;
  verbs: readonly string[];
  /** Cluster-wide (a ClusterRole), or in the mesh root namespace only (a Role there). */
  scope: "cluster" | "mesh-root";
  /** Without it the diagnosis is wrong or cannot run (true), or only some checks are skipped (false). */
  required: boolean;
  /** What is skipped or fails without it. */
  withoutIt: string;
  /** The snapshot input it fills (the checks that read that input are skipped without it). */
  input?: Input;
}

const read = ["get", "list"] as const;
const writes = ["get", "list", "create", "patch", "update", "delete"] as const;
const need = (
  feature: AccessFeature,
  group: string,
  resource: string,
  verbs: readonly string[],
  required: boolean,
  withoutIt: string,
  input?: Input,
  scope: AccessNeed["scope"] = "cluster",
): AccessNeed => ({ feature, group, resource, verbs, scope, required, withoutIt, ...(input === undefined ? {} : { input }) });

export const REQUIRED_ACCESS: readonly AccessNeed[] = [
  need("diagnose", "", "namespaces", read, true, "injection labels and namespaces are unknown: the target cannot be judged", "namespaces"),
  need("diagnose", "", "pods", read, true, "no target or client pod is found: the mTLS table and every proxy check are lost", "pods"),
  need("diagnose", "", "services", read, true, "no target is found: every check is skipped", "services"),
  need("diagnose", "discovery.k8s.io", "endpointslices", read, false, "the target's endpoints are not read", "endpointSlices"),
  need("diagnose", "apps", "deployments", read, true, "workloads and --from clients are not found", "workloads"),
  need("diagnose", "apps", "statefulsets", read, true, "StatefulSet workloads are not found", "workloads"),
  need("diagnose", "apps", "daemonsets", read, true, "DaemonSet workloads are not found", "workloads"),
  need("diagnose", "", "serviceaccounts", read, false, "authorization principals of service accounts are not resolved", "serviceAccounts"),
  need("diagnose", "security.istio.io", "peerauthentications", read, true, "the server's mTLS mode is unknown", "peerAuthentications"),
  need("diagnose", "networking.istio.io", "destinationrules", read, true, "what the client sends is unknown", "destinationRules"),
  need("diagnose", "security.istio.io", "authorizationpolicies", read, false, "authorization is not checked", "authorizationPolicies"),
  need("diagnose", "networking.istio.io", "sidecars", read, false, "Sidecar egress restrictions are not checked", "sidecars"),
  need("diagnose", "", "events", read, false, "certificate, probe and control-plane events are not read", "events"),
  need("diagnose", "", "pods/log", ["get"], false, "istio-proxy logs are not read: handshake failures the proxies saw are not reported", "proxyLogs"),
  need("diagnose", "", "configmaps", read, true, "the mesh config (auto mTLS, root namespace) and injector templates are unknown", "meshConfig", "mesh-root"),
  need("managed-mesh", "mesh.cloud.google.com", "controlplanerevisions", read, false, "MTLS107 (managed control plane not ready) is skipped and preflight shows no revisions", undefined, "mesh-root"),
  need("exec", "", "pods/exec", ["get", "create"], false, "Envoy config dumps are not read: the proxy checks are skipped unless istioctl can read them"),
  need("watch", "security.istio.io", "peerauthentications", ["watch"], false, "policy changes do not trigger a scan (scheduled scans still run)"),
  need("watch", "security.istio.io", "authorizationpolicies", ["watch"], false, "policy changes do not trigger a scan (scheduled scans still run)"),
  need("watch", "networking.istio.io", "destinationrules", ["watch"], false, "policy changes do not trigger a scan (scheduled scans still run)"),
  need("fixes", "security.istio.io", "peerauthentications", writes, true, "approved PeerAuthentication fixes cannot be applied or rolled back"),
  need("fixes", "security.istio.io", "authorizationpolicies", writes, true, "approved AuthorizationPolicy fixes cannot be applied or rolled back"),
  need("fixes", "networking.istio.io", "destinationrules", writes, true, "approved DestinationRule fixes cannot be applied or rolled back"),
  need("fixes", "", "namespaces", ["get", "patch", "update"], true, "namespace injection fixes cannot be applied"),
  need("fixes", "apps", "deployments", ["get", "patch", "update"], true, "restarts of Deployments cannot be applied"),
  need("fixes", "apps", "statefulsets", ["get", "patch", "update"], true, "restarts of StatefulSets cannot be applied"),
  need("fixes", "apps", "daemonsets", ["get", "patch", "update"], true, "restarts of DaemonSets cannot be applied"),
  need("fixes", "", "events", ["create"], true, "applied fixes leave no Event on the objects they changed"),
];

/** Which optional parts of the worker are on; the features "diagnose" and "exec" are always checked. */
export interface AccessFeatures {
  fixes: boolean;
  watch: boolean;
  managedMesh: boolean;
}

export function accessNeeded(features: AccessFeatures): AccessNeed[] {
  return REQUIRED_ACCESS.filter(
    (n) =>
      n.feature === "diagnose" ||
      n.feature === "exec" ||
      (n.feature === "fixes" && features.fixes) ||
      (n.feature === "watch" && features.watch) ||
      (n.feature === "managed-mesh" && features.managedMesh),
  );
}

/** `group/resource` as RBAC rules and kubectl name it: `pods/exec`, `peerauthentications.security.istio.io`. */
export function qualifiedResource(need: Pick<AccessNeed, "group" | "resource">): string {
  if (need.group === "") return need.resource;
  const [plural, sub] = need.resource.split("/");
  return sub === undefined ? `${plural}.${need.group}` : `${plural}.${need.group}/${sub}`;
}
