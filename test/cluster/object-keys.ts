import type { KubeObject } from "../../src/cluster/kube-types.js";
import type { ClusterSnapshot } from "../../src/cluster/snapshot.js";

/** Every object of a snapshot. */
export function objectsOf(snapshot: ClusterSnapshot): KubeObject[] {
  return [
    ...snapshot.namespaces,
    ...snapshot.pods,
    ...snapshot.services,
    ...snapshot.endpointSlices,
    ...snapshot.workloads,
    ...snapshot.serviceAccounts,
    ...snapshot.peerAuthentications,
    ...snapshot.destinationRules,
    ...snapshot.authorizationPolicies,
    ...snapshot.sidecars,
    ...snapshot.configMaps,
    ...snapshot.events,
  ];
}

/** `Kind namespace/name` (`Kind name` when cluster-scoped). */
export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${obj.kind} ${ns}/${obj.metadata?.name}` : `${obj.kind} ${obj.metadata?.name}`;
}

/** The sorted keys of the objects that pass the filter. */
export function keysOf(snapshot: ClusterSnapshot, keep: (obj: KubeObject) => boolean = () => true): string[] {
  return objectsOf(snapshot).filter(keep).map(keyOf).sort();
}
