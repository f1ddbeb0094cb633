import type { AuthorizationPolicy } from "../cluster/kube-types.js";
import { stringMatches } from "../mesh/authorization.js";
import { describeLabels, matchesLabels } from "../mesh/labels.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { newFinding } from "./finding.js";
import type { Check, CheckContext } from "./types.js";

function ref(p: AuthorizationPolicy): string {
  return `${p.metadata?.namespace ?? ""}/${p.metadata?.name ?? ""}`;
}

/** Policies a check looks at: those of the scope's namespaces, and (in `scan`) the root namespace's. */
function policiesInScope(ctx: CheckContext, root: string): AuthorizationPolicy[] {
  const namespaces = new Set(ctx.namespaces);
  if (ctx.mode === "scan") namespaces.add(root);
  return [...namespaces].flatMap((ns) => [...ctx.view.authorizationPolicies(ns)]);
}

function namespaceExists(pattern: string, names: readonly string[]): boolean {
  return pattern === "*" || names.some((n) => stringMatches(pattern, n));
}

export const authorizationReferences: Check = {
  name: "authorization-references",
  description: "Authorization policies naming namespaces that do not exist, or selecting no pod.",
  inputs: ["authorizationPolicies", "namespaces", "pods", "meshConfig"],
  codes: ["MTLS303", "MTLS304"],
  run(ctx) {
    const root = meshConfigFor(ctx.view).rootNamespace;
    const existing = ctx.view.namespaces().map((n) => n.metadata?.name ?? "");
    for (const policy of policiesInScope(ctx, root)) {
      for (const rule of policy.spec?.rules ?? []) {
        for (const from of rule.from ?? []) {
          for (const field of ["namespaces", "notNamespaces"] as const) {
            for (const entry of from.source?.[field] ?? []) {
              if (namespaceExists(entry, existing)) continue;
              ctx.report(
                newFinding("MTLS303", {
                  resource: `AuthorizationPolicy ${ref(policy)}`,
                  params: { policy: ref(policy), field: `source.${field}`, entry },
                }),
              );
            }
          }
        }
      }
      const namespace = policy.metadata?.namespace ?? "";
      const selector = policy.spec?.selector?.matchLabels;
      const hasSelector = selector !== undefined && Object.keys(selector).length > 0;
      if (policy.spec?.targetRef !== undefined || (policy.spec?.targetRefs?.length ?? 0) > 0) continue;
      let problem: string | undefined;
      if (namespace === root) {
        // Root-namespace policies apply mesh-wide: only a selector that no pod anywhere matches is dead.
        if (hasSelector && ctx.mode === "scan" && !ctx.view.pods().some((p) => matchesLabels(selector, p.metadata?.labels))) {
          problem = `applies mesh-wide, but its selector (${describeLabels(selector)}) matches no pod anywhere`;
        }
      } else if (hasSelector) {
        if (!ctx.view.pods(namespace).some((p) => matchesLabels(selector, p.metadata?.labels))) {
          problem = `selects no pod in namespace ${namespace} (${describeLabels(selector)})`;
        }
      } else if (ctx.view.pods(namespace).length === 0) {
        problem = `applies to the whole namespace ${namespace}, which has no running pod`;
      }
      if (problem) {
        ctx.report(newFinding("MTLS304", { resource: `AuthorizationPolicy ${ref(policy)}`, params: { policy: ref(policy), problem } }));
      }
    }
  },
};
