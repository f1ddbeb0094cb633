import { closestNames } from "../mesh/closest-names.js";
import { SOURCE_WORKLOAD_KINDS } from "../mesh/workloads.js";
import { newFinding } from "./finding.js";
import type { Check } from "./types.js";

function suggestion(names: string[]): string {
  return names.length === 0 ? "" : `; did you mean ${names.join(", ")}?`;
}

export const targetResolution: Check = {
  name: "target-resolution",
  description: "The service or source workload asked for does not exist; suggests the closest names.",
  inputs: ["services", "workloads"],
  codes: ["MTLS901", "MTLS902"],
  run(ctx) {
    const { target, source } = ctx.missing;
    if (target) {
      const local = ctx.view.services(target.namespace).map((s) => s.metadata?.name ?? "");
      const elsewhere = ctx.view
        .services()
        .filter((s) => s.metadata?.name === target.service && s.metadata.namespace !== target.namespace)
        .map((s) => `${s.metadata?.name}.${s.metadata?.namespace}`);
      const names = [...closestNames(target.service, local).map((n) => `${n}.${target.namespace}`), ...elsewhere].slice(0, 3);
      ctx.report(
        newFinding("MTLS901", {
          resource: `Service ${target.namespace}/${target.service}`,
          params: { service: `${target.service}.${target.namespace}`, suggestion: suggestion(names) },
          evidence: [`namespace ${target.namespace} has ${local.length} service(s)`],
        }),
      );
    }
    if (source) {
      const candidates = [
        ...ctx.view.services(source.namespace).map((s) => s.metadata?.name ?? ""),
        ...ctx.view
          .workloads(source.namespace)
          .filter((w) => (SOURCE_WORKLOAD_KINDS as readonly string[]).includes(w.kind ?? ""))
          .map((w) => w.metadata?.name ?? ""),
      ];
      const elsewhere = [
        ...ctx.view.services().filter((s) => s.metadata?.name === source.name && s.metadata.namespace !== source.namespace),
        ...ctx.view
          .workloads()
          .filter((w) => w.metadata?.name === source.name && w.metadata.namespace !== source.namespace && (SOURCE_WORKLOAD_KINDS as readonly string[]).includes(w.kind ?? "")),
      ].map((o) => `${o.metadata?.name}.${o.metadata?.namespace}`);
      ctx.report(
        newFinding("MTLS902", {
          resource: `Workload ${source.namespace}/${source.name}`,
          params: {
            workload: `${source.name} in namespace ${source.namespace}`,
            suggestion: suggestion([...new Set([...closestNames(source.name, candidates).map((n) => `${n}.${source.namespace}`), ...elsewhere])].slice(0, 3)),
          },
        }),
      );
    }
  },
};
