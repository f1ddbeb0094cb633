import type { Namespace, Workload } from "../cluster/kube-types.js";
import { isSystemNamespace, namespaceInjection } from "../mesh/injection.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { dataPlane } from "../mesh/proxy.js";
import { injectFix } from "../fixes/mesh-fixes.js";
import { newFinding } from "./finding.js";
import type { Check, CheckContext } from "./types.js";

interface SubjectNamespace {
  ns: Namespace;
  workload?: Workload;
  /** Its pods here are ambient by their own label: MTLS102 does not apply (MTLS106 still does). */
  ambientPods?: boolean;
}

function subjectNamespaces(ctx: CheckContext): SubjectNamespace[] {
  const out: SubjectNamespace[] = [];
  if (ctx.mode === "scan") {
    for (const ns of ctx.view.namespaces()) if (ctx.namespaces.includes(ns.metadata?.name ?? "")) out.push({ ns });
    return out;
  }
  const sides = [
    ...ctx.targets.map((t) => ({ namespace: t.namespace, pods: t.pods, workload: undefined })),
    ...(ctx.source ? [{ namespace: ctx.source.namespace, pods: ctx.source.pods, workload: ctx.source.workload }] : []),
  ];
  const seen = new Set<string>();
  for (const side of sides) {
    if (seen.has(side.namespace)) continue;
    seen.add(side.namespace);
    const ns = ctx.view.namespace(side.namespace);
    if (!ns) continue;
    // A namespace whose pods are ambient (by their own label) needs no namespace label.
    const ambientPods = side.pods.length > 0 && side.pods.every((p) => dataPlane(ctx.view, p) === "ambient");
    out.push({ ns, ambientPods, ...(side.workload ? { workload: side.workload } : {}) });
  }
  return out;
}

export const namespaceInjectionCheck: Check = {
  name: "namespace-injection",
  description: "Namespaces without an injection or ambient label, and namespaces with competing data-plane labels.",
  inputs: ["namespaces", "meshConfig"],
  codes: ["MTLS102", "MTLS106"],
  run(ctx) {
    const root = meshConfigFor(ctx.view).rootNamespace;
    for (const { ns, workload, ambientPods } of subjectNamespaces(ctx)) {
      const name = ns.metadata?.name ?? "";
      const injection = namespaceInjection(ns);
      const resource = `Namespace ${name}`;
      const system = ctx.mode === "scan" && isSystemNamespace(name, root);
      if (!injection.injected && !injection.ambient && !injection.disabled && !system && !ambientPods) {
        ctx.report(
          newFinding("MTLS102", {
            resource,
            params: { namespace: name, consequence: "pods created in it get no sidecar and send and accept only plaintext" },
            evidence: [`labels: ${Object.entries(ns.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(", ") || "none"}`],
            fixes: [injectFix(ctx.view, name, workload, ctx.now)],
          }),
        );
      }
      if (injection.competing.length > 1) {
        const winner = injection.competing.includes("istio-injection=enabled")
          ? "istio-injection wins over istio.io/rev for sidecar injection"
          : "which data plane a pod gets depends on the installation";
        ctx.report(
          newFinding("MTLS106", {
            resource,
            params: { namespace: name, labels: injection.competing.join(", "), winner },
            evidence: [`labels: ${injection.competing.join(", ")}`],
          }),
        );
      }
    }
  },
};
