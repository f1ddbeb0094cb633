import { parse } from "yaml";
import type { SnapshotView } from "../cluster/snapshot-view.js";

export interface MeshConfig {
  rootNamespace: string;
  trustDomain: string;
  trustDomainAliases: string[];
  enableAutoMtls: boolean;
  /** `namespace/name` of the ConfigMap it came from, or undefined when defaults apply. */
  source?: string;
  /** The revision of that ConfigMap (`istio-<rev>`), `default` for plain `istio`. */
  revision: string;
}

export const MESH_DEFAULTS: MeshConfig = {
  rootNamespace: "istio-system",
  trustDomain: "cluster.local",
  trustDomainAliases: [],
  enableAutoMtls: true,
  revision: "default",
};

/**
 * The mesh config that governs a namespace (FINDINGS.md "Mesh config"): `istio` in the control plane
 * namespace, else `istio-<revision>`; where several exist, the one of the revision the namespace uses.
 */
export function meshConfigFor(view: SnapshotView, namespace?: string): MeshConfig {
  const revision = namespace === undefined ? undefined : namespaceRevision(view, namespace);
  return view.derived(`mesh:${revision ?? ""}`, () => {
    const maps = view.meshConfigMaps();
    if (maps.length === 0) return MESH_DEFAULTS;
    const byRevision = (rev: string) =>
      maps.find((m) => (rev === "default" ? m.metadata?.name === "istio" : m.metadata?.name === `istio-${rev}`));
    const chosen =
      (revision !== undefined ? byRevision(revision) : undefined) ??
      maps.find((m) => m.metadata?.name === "istio" && m.metadata.namespace === "istio-system") ??
      maps.find((m) => m.metadata?.name === "istio") ??
      [...maps].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))[0];
    if (!chosen) return MESH_DEFAULTS;
    return parseMeshConfig(chosen.data?.["mesh"] ?? "", `${chosen.metadata?.namespace}/${chosen.metadata?.name}`);
  });
}

function namespaceRevision(view: SnapshotView, namespace: string): string | undefined {
  const labels = view.namespace(namespace)?.metadata?.labels ?? {};
  if (labels["istio-injection"] === "enabled") return "default";
  return labels["istio.io/rev"];
}

export function parseMeshConfig(text: string, source?: string): MeshConfig {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 }) ?? {};
  } catch {
    doc = {};
  }
  const mesh = (typeof doc === "object" && doc !== null ? doc : {}) as Record<string, unknown>;
  const name = source?.split("/")[1] ?? "istio";
  const config: MeshConfig = {
    rootNamespace: typeof mesh["rootNamespace"] === "string" ? mesh["rootNamespace"] : MESH_DEFAULTS.rootNamespace,
    trustDomain: typeof mesh["trustDomain"] === "string" ? mesh["trustDomain"] : MESH_DEFAULTS.trustDomain,
    trustDomainAliases: Array.isArray(mesh["trustDomainAliases"])
      ? mesh["trustDomainAliases"].filter((a): a is string => typeof a === "string")
      : [],
    enableAutoMtls: mesh["enableAutoMtls"] === false ? false : true,
    revision: name === "istio" ? "default" : name.slice("istio-".length),
  };
  if (source !== undefined) config.source = source;
  return config;
}
