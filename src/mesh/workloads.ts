import type { Pod, Workload } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import { matchesSelector } from "./labels.js";

export const SOURCE_WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;

/** The Deployment, StatefulSet or DaemonSet that owns a pod (through its ReplicaSet for Deployments). */
export function ownerWorkload(view: SnapshotView, pod: Pod): Workload | undefined {
  const namespace = pod.metadata?.namespace ?? "";
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  const workloads = view.workloads(namespace);
  const find = (kind: string, name: string | undefined) =>
    workloads.find((w) => w.kind === kind && w.metadata?.name === name);
  if (owner?.kind === "StatefulSet" || owner?.kind === "DaemonSet" || owner?.kind === "Deployment") {
    return find(owner.kind, owner.name);
  }
  if (owner?.kind === "ReplicaSet") {
    const rs = find("ReplicaSet", owner.name);
    const rsOwner = rs?.metadata?.ownerReferences?.find((o) => o.kind === "Deployment");
    if (rsOwner) return find("Deployment", rsOwner.name);
    // The ReplicaSet was not captured: the Deployment whose selector picks the pod is its owner.
    return workloads.find((w) => w.kind === "Deployment" && matchesSelector(w.spec?.selector, pod.metadata?.labels));
  }
  return undefined;
}

/** Active pods a workload's selector picks. */
export function podsOfWorkload(view: SnapshotView, workload: Workload): Pod[] {
  const selector = workload.spec?.selector;
  if (!selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)) {
    return [];
  }
  return view.pods(workload.metadata?.namespace ?? "").filter((p) => matchesSelector(selector, p.metadata?.labels));
}
