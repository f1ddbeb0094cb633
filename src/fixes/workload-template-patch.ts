import type { Workload } from "../cluster/kube-types.js";

/**
 * A server-side-apply patch that sets pod template annotations on a Deployment, StatefulSet or
 * DaemonSet. The selector is carried over from the live object because the schema requires it; a
 * changed template rolls the pods.
 */
export function workloadTemplatePatch(workload: Workload, annotations: Record<string, string>): Workload {
  return {
    apiVersion: workload.apiVersion ?? "apps/v1",
    kind: workload.kind ?? "Deployment",
    metadata: { name: workload.metadata?.name ?? "", namespace: workload.metadata?.namespace ?? "" },
    spec: {
      selector: structuredClone(workload.spec?.selector ?? {}),
      template: { metadata: { annotations } },
    },
  };
}
