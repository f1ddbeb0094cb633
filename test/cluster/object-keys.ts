import type { KubeObject } from "../../src/cluster/kube-types.js";
import { allObjects, type ClusterSnapshot } from "../../src/cluster/snapshot.js";

/** Every object of a snapshot. */
export const objectsOf = allObjects;

/** `Kind namespace/name` (`Kind name` when cluster-scoped). */
export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${obj.kind} ${ns}/${obj.metadata?.name}` : `${obj.kind} ${obj.metadata?.name}`;
}

/** The sorted keys of the objects that pass the filter. */
export function keysOf(snapshot: ClusterSnapshot, keep: (obj: KubeObject) => boolean = () => true): string[] {
  return objectsOf(snapshot).filter(keep).map(keyOf).sort();
}
