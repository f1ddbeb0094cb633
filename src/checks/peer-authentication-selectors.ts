import { describeLabels, matchesLabels } from "../mesh/labels.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { newFinding } from "./finding.js";
import type { Check } from "./types.js";

export const peerAuthenticationSelectors: Check = {
  name: "peer-authentication-selectors",
  description: "Workload PeerAuthentications whose selector matches no running pod.",
  inputs: ["peerAuthentications", "pods", "meshConfig"],
  codes: ["MTLS209"],
  run(ctx) {
    const root = meshConfigFor(ctx.view).rootNamespace;
    for (const namespace of ctx.namespaces) {
      if (namespace === root) continue;
      for (const policy of ctx.view.peerAuthentications(namespace)) {
        const selector = policy.spec?.selector?.matchLabels;
        if (!selector || Object.keys(selector).length === 0) continue;
        if (ctx.view.pods(namespace).some((p) => matchesLabels(selector, p.metadata?.labels))) continue;
        ctx.report(
          newFinding("MTLS209", {
            resource: `PeerAuthentication ${namespace}/${policy.metadata?.name ?? ""}`,
            params: { policy: `${namespace}/${policy.metadata?.name ?? ""}`, selector: describeLabels(selector) },
          }),
        );
      }
    }
  },
};
