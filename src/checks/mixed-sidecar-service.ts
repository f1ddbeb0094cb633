import { namespaceInjection } from "../mesh/injection.js";
import { dataPlane, podRef } from "../mesh/proxy.js";
import { ownerWorkload } from "../mesh/workloads.js";
import { restartFix } from "../fixes/mesh-fixes.js";
import type { Workload } from "../cluster/kube-types.js";
import { newFinding } from "./finding.js";
import type { Check } from "./types.js";

export const mixedSidecarService: Check = {
  name: "mixed-sidecar-service",
  description: "Services whose pods are partly in the mesh and partly not.",
  inputs: ["namespaces", "workloads"],
  codes: ["MTLS105"],
  run(ctx) {
    for (const target of ctx.targets) {
      const inMesh = target.pods.filter((p) => dataPlane(ctx.view, p) !== "none");
      const outside = target.pods.filter((p) => dataPlane(ctx.view, p) === "none");
      if (inMesh.length === 0 || outside.length === 0) continue;
      const owners = new Map<string, Workload>();
      for (const pod of outside) {
        const w = ownerWorkload(ctx.view, pod);
        if (w) owners.set(`${w.kind}/${w.metadata?.name}`, w);
      }
      const injected = namespaceInjection(ctx.view.namespace(target.namespace)).injected;
      ctx.report(
        newFinding("MTLS105", {
          resource: target.resource,
          params: { service: `${target.namespace}/${target.name}`, withProxy: inMesh.length, withoutProxy: outside.length },
          evidence: [
            `with a proxy: ${inMesh.map(podRef).join(", ")}`,
            `without: ${outside.map(podRef).join(", ")}`,
          ],
          fixes: injected ? [...owners.values()].map((w) => restartFix(w, ctx.now, "so that its pods get a sidecar")) : [],
        }),
      );
    }
  },
};
