import type { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError, KubeClient } from "./kube-client.js";
import type { KubeObject } from "./kube-types.js";

export const ISTIO_API_GROUPS = ["security.istio.io", "networking.istio.io"] as const;
export const MANAGED_MESH_GROUP = "mesh.cloud.google.com";
const REVISION_LABEL = "istio.io/rev";

/** What a group's discovery document says: the versions served, the preferred first; null when not served. */
export interface ServedGroup {
  versions: string[];
  preferred?: string;
}

export interface MeshFacts {
  rootNamespace: string;
  /** Per API group (Istio's and Cloud Service Mesh's): served versions, or null when the group is not served. */
  groups: Record<string, ServedGroup | null>;
  /** istiod Deployments in the root namespace, with their revision label (`default` when none). */
  istiod?: { name: string; revision: string; ready: boolean }[];
  /** Mesh ConfigMaps of the root namespace: `istio`, `istio-<rev>`, `istio-asm-managed*`, … (names only). */
  meshConfigMaps?: string[];
  /** ControlPlaneRevisions of the root namespace (only where mesh.cloud.google.com is served). */
  controlPlaneRevisions?: { name: string; channel?: string; reconciled?: string }[];
  /** What could not be read, per fact (`istiod`, `meshConfigMaps`, `controlPlaneRevisions`, a group). */
  failures: Record<string, string>;
}

/**
 * Reads what kind of mesh the cluster runs: which Istio API versions are served (discovery), istiod
 * Deployments and their revisions, the mesh ConfigMaps, and managed Cloud Service Mesh revisions.
 * Never throws: what cannot be read is in `failures`.
 */
export async function detectMesh(kc: KubeConfig, rootNamespace: string, options: { timeoutMs?: number } = {}): Promise<MeshFacts> {
  const client = new KubeClient(kc, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  const facts: MeshFacts = { rootNamespace, groups: {}, failures: {} };
  const ns = encodeURIComponent(rootNamespace);
  await Promise.all([
    ...[...ISTIO_API_GROUPS, MANAGED_MESH_GROUP].map(async (group) => {
      try {
        facts.groups[group] = await servedGroup(client, group);
      } catch (err) {
        facts.failures[group] = (err as Error).message;
      }
    }),
    (async () => {
      try {
        const list = await client.getJson(`/apis/apps/v1/namespaces/${ns}/deployments`, {}, { verb: "list", resource: "deployments.apps", namespace: rootNamespace });
        facts.istiod = itemsOf(list)
          .filter((d) => (d.metadata?.name ?? "").startsWith("istiod"))
          .map((d) => ({ name: d.metadata?.name ?? "", revision: d.metadata?.labels?.[REVISION_LABEL] ?? "default", ready: isAvailable(d) }));
      } catch (err) {
        facts.failures["istiod"] = (err as Error).message;
      }
    })(),
    (async () => {
      try {
        const list = await client.getJson(`/api/v1/namespaces/${ns}/configmaps`, {}, { verb: "list", resource: "configmaps", namespace: rootNamespace });
        facts.meshConfigMaps = itemsOf(list)
          .map((c) => c.metadata?.name ?? "")
          .filter((name) => /^istio(-.+)?$/.test(name))
          .sort();
      } catch (err) {
        facts.failures["meshConfigMaps"] = (err as Error).message;
      }
    })(),
  ]);
  const managed = facts.groups[MANAGED_MESH_GROUP];
  if (managed) {
    const version = managed.preferred ?? managed.versions[0] ?? "v1beta1";
    try {
      const list = await client.getJson(`/apis/${MANAGED_MESH_GROUP}/${version}/namespaces/${ns}/controlplanerevisions`, {}, {
        verb: "list",
        resource: `controlplanerevisions.${MANAGED_MESH_GROUP}`,
        namespace: rootNamespace,
      });
      facts.controlPlaneRevisions = itemsOf(list).map(controlPlaneRevision);
    } catch (err) {
      facts.failures["controlPlaneRevisions"] = (err as Error).message;
    }
  }
  return facts;
}

async function servedGroup(client: KubeClient, group: string): Promise<ServedGroup | null> {
  try {
    const doc = (await client.getJson(`/apis/${group}`, {}, { verb: "get", resource: `apis/${group}` })) as {
      versions?: { version?: unknown }[];
      preferredVersion?: { version?: unknown };
    };
    const versions = (doc.versions ?? []).map((v) => v.version).filter((v): v is string => typeof v === "string");
    const preferred = doc.preferredVersion?.version;
    return typeof preferred === "string" ? { versions, preferred } : { versions };
  } catch (err) {
    if (err instanceof KubeApiError && err.failure === "not-found") return null;
    throw err;
  }
}

function itemsOf(list: unknown): KubeObject[] {
  const items = (list as { items?: unknown }).items;
  return Array.isArray(items) ? (items as KubeObject[]) : [];
}

function isAvailable(deployment: KubeObject): boolean {
  const status = (deployment as { status?: { availableReplicas?: number; conditions?: { type?: string; status?: string }[] } }).status;
  if (status?.conditions?.some((c) => c.type === "Available")) return status.conditions.some((c) => c.type === "Available" && c.status === "True");
  return (status?.availableReplicas ?? 0) > 0;
}

function controlPlaneRevision(obj: KubeObject): { name: string; channel?: string; reconciled?: string } {
  const spec = (obj as { spec?: { channel?: unknown } }).spec;
  const conditions = (obj as { status?: { conditions?: { type?: string; status?: string }[] } }).status?.conditions ?? [];
  const reconciled = conditions.find((c) => c.type === "Reconciled")?.status;
  return {
    name: obj.metadata?.name ?? "",
    ...(typeof spec?.channel === "string" ? { channel: spec.channel } : {}),
    ...(reconciled === undefined ? {} : { reconciled }),
  };
}
