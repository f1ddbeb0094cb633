import { connectionFor } from "../mesh/connection.js";
import { newFinding } from "./finding.js";
import { clientOf } from "./subjects.js";
import type { Check } from "./types.js";

export const targetServerMode: Check = {
  name: "target-server-mode",
  description: "Target ports whose effective mode accepts plaintext (PERMISSIVE) or has mutual TLS off (DISABLE).",
  inputs: ["namespaces", "peerAuthentications", "destinationRules", "meshConfig"],
  codes: ["MTLS210", "MTLS211"],
  run(ctx) {
    for (const target of ctx.targets) {
      for (const c of connectionFor(ctx.view, target, clientOf(ctx, target))) {
        if (c.server.mode === "STRICT") continue;
        const params = {
          target: target.resource,
          port: `${c.port.port} (container port ${c.port.targetPort})`,
          policy: c.server.policyRef === "default" ? "default: no PeerAuthentication applies" : `PeerAuthentication ${c.server.policyRef}`,
        };
        const evidence: string[] = [];
        if ((c.clientSends === "SIMPLE" || c.clientSends === "MUTUAL") && c.outcome === "plaintext" && c.targetDataPlane === "sidecar") {
          // A TCP port in PERMISSIVE passes a TLS stream it cannot terminate straight to the application.
          evidence.push(`the client sends ${c.clientSends} TLS (DestinationRule ${c.clientPolicy ?? "?"}), which the sidecar passes through untouched: the application must speak TLS itself`);
        }
        ctx.report(newFinding(c.server.mode === "PERMISSIVE" ? "MTLS210" : "MTLS211", { resource: target.resource, params, evidence, ports: [c.port.port] }));
      }
    }
  },
};
