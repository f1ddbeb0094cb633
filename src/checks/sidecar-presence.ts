import { injectionOptOut, missingProxyReason, namespaceInjection } from "../mesh/injection.js";
import { dataPlane, isHostNetwork, podRef } from "../mesh/proxy.js";
import { ownerWorkload } from "../mesh/workloads.js";
import { injectFix, restartFix } from "../fixes/mesh-fixes.js";
import { newFinding, type Fix } from "./finding.js";
import { subjectPods } from "./subjects.js";
import type { Check } from "./types.js";

export const sidecarPresence: Check = {
  name: "sidecar-presence",
  description: "Target and source pods (in scan: pods of injected namespaces) that have no proxy and are not ambient.",
  inputs: ["pods", "namespaces", "workloads", "meshConfig"],
  codes: ["MTLS101"],
  run(ctx) {
    for (const pod of subjectPods(ctx)) {
      if (isHostNetwork(pod) || dataPlane(ctx.view, pod) !== "none") continue;
      const namespace = pod.metadata?.namespace ?? "";
      const ns = ctx.view.namespace(namespace);
      const injection = namespaceInjection(ns);
      const optOut = injectionOptOut(pod);
      if (ctx.mode === "scan" && (!injection.injected || optOut)) continue;
      const workload = ownerWorkload(ctx.view, pod);
      const fixes: Fix[] = [];
      if (!optOut && !injection.disabled) {
        fixes.push(
          injection.injected && workload
            ? restartFix(workload, ctx.now, "so that its pods get a sidecar")
            : injectFix(ctx.view, namespace, workload, ctx.now),
        );
      }
      ctx.report(
        newFinding("MTLS101", {
          resource: `Pod ${podRef(pod)}`,
          params: { pod: podRef(pod), reason: missingProxyReason(pod, ns) },
          evidence: [
            `containers: ${(pod.spec?.containers ?? []).map((c) => c.name).join(", ") || "none"}`,
            `namespace ${namespace} labels: ${injection.competing.join(", ") || (injection.disabled ? "istio-injection=disabled" : "no injection label")}`,
            ...(workload ? [`owned by ${workload.kind} ${namespace}/${workload.metadata?.name}`] : []),
          ],
          fixes,
        }),
      );
    }
  },
};
