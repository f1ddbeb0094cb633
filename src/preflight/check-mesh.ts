import { ISTIO_API_GROUPS, MANAGED_MESH_GROUP, type MeshFacts } from "../cluster/detect-mesh.js";
import type { PreflightItem } from "./preflight-item.js";

/** Versions the collector reads, newest first (src/cluster/collect-live.ts falls back in this order). */
const READ_VERSIONS: Record<(typeof ISTIO_API_GROUPS)[number], readonly string[]> = {
  "security.istio.io": ["v1", "v1beta1"],
  "networking.istio.io": ["v1", "v1beta1", "v1alpha3"],
};

/** Istio's APIs served (required: without them there is no mesh to diagnose) and the mesh flavour (informational). */
export function checkMesh(facts: MeshFacts): PreflightItem[] {
  return [...ISTIO_API_GROUPS.map((group) => apiItem(facts, group)), flavourItem(facts)];
}

function apiItem(facts: MeshFacts, group: (typeof ISTIO_API_GROUPS)[number]): PreflightItem {
  const base = { area: "mesh" as const, name: `${group} API`, required: true };
  const failure = facts.failures[group];
  if (failure !== undefined) {
    return { ...base, status: "unknown", detail: `discovery of ${group} failed: ${failure}`, enable: "check that the API server is reachable, then run preflight again" };
  }
  const served = facts.groups[group];
  if (!served) {
    return {
      ...base,
      status: "missing",
      detail: `${group} is not served: Istio's CRDs are not installed in this cluster`,
      impact: "no PeerAuthentication, DestinationRule or AuthorizationPolicy can be read",
      enable: "install Istio (or Cloud Service Mesh) in this cluster, or point the worker at a cluster that runs it",
    };
  }
  const readable = READ_VERSIONS[group].find((v) => served.versions.includes(v));
  const versions = `${served.versions.join(", ")}${served.preferred ? ` (preferred ${served.preferred})` : ""}`;
  if (readable === undefined) {
    return { ...base, status: "missing", detail: `serves ${versions}, none of which mtls-doctor reads (${READ_VERSIONS[group].join(", ")})`, enable: "upgrade Istio to a release that serves v1 or v1beta1" };
  }
  return { ...base, status: "ok", detail: `serves ${versions}; mtls-doctor reads ${readable}` };
}

/** Istio's injector ConfigMap of a revision: `istio-sidecar-injector-<rev>` beside `istio-<rev>`. */
function configMapRevisions(names: readonly string[]): string[] {
  const revisions: string[] = [];
  for (const name of names) {
    const rev = /^istio-sidecar-injector-(.+)$/.exec(name)?.[1];
    if (rev !== undefined && names.includes(`istio-${rev}`)) revisions.push(rev);
  }
  return revisions;
}

function flavourItem(facts: MeshFacts): PreflightItem {
  const base = { area: "mesh" as const, name: "mesh flavour", required: false };
  const configMaps = facts.meshConfigMaps ?? [];
  const istiod = facts.istiod ?? [];
  const managedConfigMaps = configMaps.filter((n) => n.startsWith("istio-asm-managed"));
  const managed = facts.groups[MANAGED_MESH_GROUP] !== undefined && facts.groups[MANAGED_MESH_GROUP] !== null;
  const parts: string[] = [];
  if (istiod.length > 0) {
    const revisions = [...new Set([...istiod.map((d) => d.revision), ...configMapRevisions(configMaps)])].sort();
    const notReady = istiod.filter((d) => !d.ready).map((d) => d.name);
    parts.push(`in-cluster istiod in ${facts.rootNamespace} (${istiod.map((d) => d.name).join(", ")}; revisions: ${revisions.join(", ")})${notReady.length > 0 ? `; not available: ${notReady.join(", ")}` : ""}`);
  }
  if (managed || managedConfigMaps.length > 0) {
    const revisions = (facts.controlPlaneRevisions ?? []).map((r) => `${r.name}${r.channel ? ` (${r.channel})` : ""}${r.reconciled ? `, reconciled ${r.reconciled}` : ""}`);
    const evidence = [managed ? `${MANAGED_MESH_GROUP} served` : "", managedConfigMaps.length > 0 ? `ConfigMap ${managedConfigMaps.join(", ")}` : ""].filter((s) => s !== "");
    parts.push(`managed Cloud Service Mesh (${evidence.join("; ")})${revisions.length > 0 ? `; ControlPlaneRevisions: ${revisions.join("; ")}` : ""}`);
  }
  const unread = ["istiod", "meshConfigMaps", "controlPlaneRevisions"].flatMap((k) => (facts.failures[k] === undefined ? [] : [facts.failures[k]]));
  if (parts.length === 0) {
    return {
      ...base,
      status: unread.length > 0 ? "unknown" : "missing",
      detail: unread.length > 0 ? `the control plane could not be read: ${unread.join("; ")}` : `no istiod Deployment in ${facts.rootNamespace} and no managed control plane found`,
      impact: "proxies get no configuration from a control plane here: expect every proxy check to fail",
      enable: "install istiod (or enable Cloud Service Mesh); if the control plane lives in another namespace, the worker still reads its mesh ConfigMaps only in istio-system",
    };
  }
  return { ...base, status: "ok", detail: parts.join("; ") + (unread.length > 0 ? `; not read: ${unread.join("; ")}` : "") };
}
