import type { KubeObject } from "../cluster/kube-types.js";

/** Istio's tie-break among competing policies: the oldest creationTimestamp wins, then the name. */
export function oldestFirst(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  if (ta !== tb) return Date.parse(ta || "1970-01-01T00:00:00Z") - Date.parse(tb || "1970-01-01T00:00:00Z");
  return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

export function sortOldestFirst<T extends KubeObject>(items: readonly T[]): T[] {
  return [...items].sort(oldestFirst);
}
