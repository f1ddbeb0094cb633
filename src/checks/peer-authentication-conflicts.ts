import type { PeerAuthentication } from "../cluster/kube-types.js";
import { describeLabels } from "../mesh/labels.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { podRef } from "../mesh/proxy.js";
import { ignoredLevelPolicies, workloadPolicies } from "../mesh/server-mode.js";
import { deletePolicyFix } from "../fixes/mesh-fixes.js";
import { newFinding } from "./finding.js";
import { subjectPods } from "./subjects.js";
import type { Check } from "./types.js";

function ref(pa: PeerAuthentication): string {
  return `${pa.metadata?.namespace ?? ""}/${pa.metadata?.name ?? ""}`;
}

function created(pa: PeerAuthentication): string {
  return `${ref(pa)} created ${pa.metadata?.creationTimestamp ?? "(no timestamp)"}`;
}

export const peerAuthenticationConflicts: Check = {
  name: "peer-authentication-conflicts",
  description: "PeerAuthentications that Istio ignores: losers of a tie at one level, and selectors in the root namespace.",
  inputs: ["peerAuthentications", "pods", "meshConfig"],
  codes: ["MTLS207", "MTLS212"],
  run(ctx) {
    const root = meshConfigFor(ctx.view).rootNamespace;
    for (const { policy, winner, level } of ignoredLevelPolicies(ctx.view, ctx.namespaces)) {
      const scope = level === "mesh" ? `the root namespace ${root}` : `namespace ${policy.metadata?.namespace}`;
      const why = `${ref(winner)} wins as the older ${level}-wide policy`;
      ctx.report(
        newFinding("MTLS207", {
          resource: `PeerAuthentication ${ref(policy)}`,
          params: { policy: ref(policy), scope, winner: `${level}-wide ${ref(winner)}` },
          evidence: [created(winner), created(policy)],
          fixes: [deletePolicyFix(policy, why)],
        }),
      );
    }
    const reported = new Set<string>();
    for (const pod of subjectPods(ctx)) {
      const [winner, ...losers] = workloadPolicies(ctx.view, pod);
      if (!winner) continue;
      for (const policy of losers) {
        if (reported.has(ref(policy))) continue;
        reported.add(ref(policy));
        ctx.report(
          newFinding("MTLS207", {
            resource: `PeerAuthentication ${ref(policy)}`,
            params: { policy: ref(policy), scope: `pod ${podRef(pod)}`, winner: `workload policy ${ref(winner)}` },
            evidence: [created(winner), created(policy), `both select pod ${podRef(pod)}`],
            fixes: [deletePolicyFix(policy, `${ref(winner)} also selects pod ${podRef(pod)} and is older`)],
          }),
        );
      }
    }
    for (const policy of ctx.view.peerAuthentications(root)) {
      const selector = policy.spec?.selector?.matchLabels;
      if (!selector || Object.keys(selector).length === 0) continue;
      ctx.report(
        newFinding("MTLS212", {
          resource: `PeerAuthentication ${ref(policy)}`,
          params: { policy: ref(policy), root },
          evidence: [`selector: ${describeLabels(selector)}`],
          fixes: [deletePolicyFix(policy, "a selector in the root namespace is ignored; move it to the workload's namespace")],
        }),
      );
    }
  },
};
