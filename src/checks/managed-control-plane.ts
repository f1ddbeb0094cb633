import type { Condition, ControlPlaneRevision } from "../cluster/kube-types.js";
import { namespaceInjection } from "../mesh/injection.js";
import { newFinding } from "./finding.js";
import type { Check, CheckContext } from "./types.js";

function conditionOf(cpr: ControlPlaneRevision, type: string): Condition | undefined {
  return cpr.status?.conditions?.find((c) => c.type === type);
}

function notReady(cpr: ControlPlaneRevision): boolean {
  return conditionOf(cpr, "Reconciled")?.status !== "True" || conditionOf(cpr, "Stalled")?.status === "True";
}

function describeCondition(type: string, condition: Condition | undefined): string {
  if (!condition) return `${type} absent`;
  const why = [condition.reason, condition.message?.trim()].filter((s) => s !== undefined && s !== "").join(": ");
  return `${type}=${condition.status ?? "Unknown"}${why ? ` (${why})` : ""}`;
}

/**
 * The revisions the namespaces in scope use, as ControlPlaneRevision names. `istio-injection=enabled`
 * uses the default revision: on a managed mesh with one revision that is it, else `asm-managed`
 * (the regular channel, what the default tag points to unless someone moved it).
 */
function revisionsInScope(ctx: CheckContext, revisions: readonly ControlPlaneRevision[]): Set<string> {
  const names = new Set<string>();
  const namespaces = new Set([...ctx.namespaces, ...(ctx.source ? [ctx.source.namespace] : [])]);
  for (const ns of namespaces) {
    const revision = namespaceInjection(ctx.view.namespace(ns)).revision;
    if (revision === undefined) continue;
    if (revision !== "default") names.add(revision);
    else if (revisions.length === 1) names.add(revisions[0]?.metadata?.name ?? "");
    else names.add("asm-managed");
  }
  return names;
}

export const managedControlPlane: Check = {
  name: "managed-control-plane",
  description: "Cloud Service Mesh's managed control plane: ControlPlaneRevisions that are not reconciled or are stalled.",
  inputs: ["controlPlaneRevisions", "namespaces"],
  codes: ["MTLS107"],
  run(ctx) {
    const revisions = ctx.view.controlPlaneRevisions();
    if (revisions.length === 0) {
      ctx.skip("no ControlPlaneRevision (mesh.cloud.google.com) in the cluster: not a Cloud Service Mesh managed control plane");
      return;
    }
    const inScope = ctx.mode === "scan" ? undefined : revisionsInScope(ctx, revisions);
    for (const cpr of revisions) {
      const name = cpr.metadata?.name ?? "";
      if (inScope && !inScope.has(name)) continue;
      if (!notReady(cpr)) continue;
      const conditions = ["Reconciled", "Stalled"].map((type) => describeCondition(type, conditionOf(cpr, type)));
      const others = (cpr.status?.conditions ?? [])
        .filter((c) => c.type !== "Reconciled" && c.type !== "Stalled")
        .map((c) => describeCondition(c.type ?? "?", c));
      const ref = `${cpr.metadata?.namespace ?? ""}/${name}`;
      ctx.report(
        newFinding("MTLS107", {
          resource: `ControlPlaneRevision ${ref}`,
          params: { revision: ref, conditions: conditions.join(", "), name },
          evidence: [...conditions, ...others, ...(cpr.spec?.channel ? [`channel: ${cpr.spec.channel}`] : [])],
        }),
      );
    }
  },
};
