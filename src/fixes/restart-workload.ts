import type { Pod } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import type { Fix } from "../checks/finding.js";
import { ownerWorkload } from "../mesh/workloads.js";
import { restartFix } from "./mesh-fixes.js";

/**
 * Restarts the Deployment, StatefulSet or DaemonSet that owns a pod (pod → ReplicaSet → Deployment
 * through ownerReferences): a server-side apply of the pod template annotation
 * `kubectl.kubernetes.io/restartedAt`, as `kubectl rollout restart` sets it. Undefined when the pod
 * has no such owner in the snapshot (a bare pod, a Job's pod): there is nothing safe to restart.
 */
export function restartWorkloadFix(
  view: SnapshotView,
  pod: Pod,
  now: Date,
  why = "so that its proxies request fresh workload certificates",
): Fix | undefined {
  const workload = ownerWorkload(view, pod);
  return workload ? restartFix(workload, now, why) : undefined;
}
