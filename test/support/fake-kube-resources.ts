import { COMMON_SELECTABLE_FIELDS } from "./parse-field-selector.js";

/** One kind the fake serves, with what discovery says about it. */
export interface FakeResource {
  /** "" for the core group. */
  group: string;
  /** Served versions, the preferred one first. */
  versions: readonly string[];
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  /** Field-selector fields beyond `metadata.name` and `metadata.namespace`. */
  selectableFields: readonly string[];
  /** Subresources the fake implements, with their discovery verbs. */
  subresources: readonly { name: string; kind: string; verbs: readonly string[] }[];
  /** Custom resources: list items keep kind/apiVersion, deletes answer a Status. */
  custom: boolean;
}

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;

function builtin(
  group: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<Pick<FakeResource, "shortNames" | "selectableFields" | "subresources">> = {},
): FakeResource {
  return {
    group,
    versions: ["v1"],
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames: extra.shortNames ?? [],
    selectableFields: [...COMMON_SELECTABLE_FIELDS, ...(extra.selectableFields ?? [])],
    subresources: extra.subresources ?? [],
    custom: false,
  };
}

function istio(group: string, versions: readonly string[], kind: string, plural: string, shortNames: string[]): FakeResource {
  return {
    group,
    versions,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    shortNames,
    selectableFields: COMMON_SELECTABLE_FIELDS,
    subresources: [],
    custom: true,
  };
}

const ISTIO_NETWORKING_VERSIONS = ["v1", "v1beta1", "v1alpha3"];
const ISTIO_SECURITY_VERSIONS = ["v1", "v1beta1"];

/** Everything the fake serves; the kinds a ClusterSnapshot holds. */
export const FAKE_KUBE_RESOURCES: readonly FakeResource[] = [
  builtin("", "Namespace", "namespaces", false, { shortNames: ["ns"], selectableFields: ["status.phase"] }),
  builtin("", "Pod", "pods", true, {
    shortNames: ["po"],
    selectableFields: ["status.phase", "spec.nodeName", "spec.serviceAccountName", "spec.restartPolicy", "spec.schedulerName", "status.podIP", "status.nominatedNodeName"],
    subresources: [
      { name: "exec", kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "log", kind: "Pod", verbs: ["get"] },
    ],
  }),
  builtin("", "Service", "services", true, { shortNames: ["svc"], selectableFields: ["spec.clusterIP", "spec.type"] }),
  builtin("", "ServiceAccount", "serviceaccounts", true, { shortNames: ["sa"] }),
  builtin("", "ConfigMap", "configmaps", true, { shortNames: ["cm"] }),
  builtin("", "Event", "events", true, {
    shortNames: ["ev"],
    selectableFields: [
      "involvedObject.kind",
      "involvedObject.namespace",
      "involvedObject.name",
      "involvedObject.uid",
      "involvedObject.apiVersion",
      "involvedObject.resourceVersion",
      "involvedObject.fieldPath",
      "reason",
      "reportingComponent",
      "source",
      "type",
    ],
  }),
  builtin("apps", "Deployment", "deployments", true, { shortNames: ["deploy"] }),
  builtin("apps", "StatefulSet", "statefulsets", true, { shortNames: ["sts"] }),
  builtin("apps", "DaemonSet", "daemonsets", true, { shortNames: ["ds"] }),
  builtin("apps", "ReplicaSet", "replicasets", true, { shortNames: ["rs"], selectableFields: ["status.replicas"] }),
  builtin("discovery.k8s.io", "EndpointSlice", "endpointslices", true, { selectableFields: ["addressType"] }),
  istio("security.istio.io", ISTIO_SECURITY_VERSIONS, "PeerAuthentication", "peerauthentications", ["pa"]),
  istio("security.istio.io", ISTIO_SECURITY_VERSIONS, "AuthorizationPolicy", "authorizationpolicies", ["ap"]),
  istio("networking.istio.io", ISTIO_NETWORKING_VERSIONS, "DestinationRule", "destinationrules", ["dr"]),
  istio("networking.istio.io", ISTIO_NETWORKING_VERSIONS, "Sidecar", "sidecars", []),
  istio("mesh.cloud.google.com", ["v1beta1"], "ControlPlaneRevision", "controlplanerevisions", ["cpr"]),
];

/** The resource a request path names, or undefined when the fake does not serve that group/version/plural. */
export function findResource(group: string, version: string, plural: string): FakeResource | undefined {
  return FAKE_KUBE_RESOURCES.find((r) => r.group === group && r.plural === plural && r.versions.includes(version));
}

/** The resource that stores objects of a kind (Istio kinds in any of their versions). */
export function resourceForKind(kind: string): FakeResource | undefined {
  return FAKE_KUBE_RESOURCES.find((r) => r.kind === kind);
}

export function groupVersion(group: string, version: string): string {
  return group === "" ? version : `${group}/${version}`;
}

/**
 * API groups of CRDs that only some clusters install (Cloud Service Mesh's): the fake serves them only
 * when its snapshot holds objects of theirs, as a cluster without the CRD answers 404.
 */
export const OPTIONAL_GROUPS: ReadonlySet<string> = new Set(["mesh.cloud.google.com"]);

/** The groups the fake serves, in the order `/apis` lists them (core excluded). */
function servedGroups(hidden: ReadonlySet<string>): { name: string; versions: string[] }[] {
  const groups = new Map<string, Set<string>>();
  for (const r of FAKE_KUBE_RESOURCES) {
    if (r.group === "" || hidden.has(r.group)) continue;
    const versions = groups.get(r.group) ?? new Set<string>();
    for (const v of r.versions) versions.add(v);
    groups.set(r.group, versions);
  }
  return [...groups].map(([name, versions]) => ({ name, versions: [...versions] }));
}

/** `GET /api`, `/apis`, `/apis/<group>` and `/api[s]/<group>/<version>` bodies; undefined for other paths. */
export function discoveryDocument(segments: readonly string[], serverAddress: string, hidden: ReadonlySet<string> = new Set()): unknown {
  const [root, second, third, ...rest] = segments;
  if (rest.length > 0) return undefined;
  if (root === "api") {
    if (second === undefined) {
      return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
    }
    return third === undefined && second === "v1" ? resourceList("", "v1") : undefined;
  }
  if (root !== "apis") return undefined;
  if (second === undefined) {
    return { kind: "APIGroupList", apiVersion: "v1", groups: servedGroups(hidden).map(apiGroup) };
  }
  const group = servedGroups(hidden).find((g) => g.name === second);
  if (group === undefined) return undefined;
  if (third === undefined) return { kind: "APIGroup", apiVersion: "v1", ...apiGroup(group) };
  return group.versions.includes(third) ? resourceList(second, third) : undefined;
}

function apiGroup(group: { name: string; versions: string[] }): object {
  const versions = group.versions.map((v) => ({ groupVersion: `${group.name}/${v}`, version: v }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

function resourceList(group: string, version: string): object {
  const resources = FAKE_KUBE_RESOURCES.filter((r) => r.group === group && r.versions.includes(version)).flatMap((r) => [
    {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...ALL_VERBS],
      ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
      ...(r.custom ? { categories: ["istio-io", `${r.group.split(".")[0]}-istio-io`] } : {}),
    },
    ...r.subresources.map((s) => ({
      name: `${r.plural}/${s.name}`,
      singularName: "",
      namespaced: r.namespaced,
      kind: s.kind,
      verbs: [...s.verbs],
    })),
  ]);
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: groupVersion(group, version), resources };
}
