import type { DestinationRule } from "../cluster/kube-types.js";
import { connectionFor, type PortConnection } from "../mesh/connection.js";
import { subsetTlsForPort, type RuleTls } from "../mesh/destination-rule.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { ownerWorkload } from "../mesh/workloads.js";
import {
  injectFix,
  istioMutualRuleFix,
  newIstioMutualRuleFix,
  removeRuleTlsFix,
} from "../fixes/mesh-fixes.js";
import type { Code } from "./codes.js";
import { newFinding, type Fix } from "./finding.js";
import { clientOf } from "./subjects.js";
import type { Check, CheckContext, Target } from "./types.js";

function ruleRef(rule: DestinationRule): string {
  return `${rule.metadata?.namespace ?? ""}/${rule.metadata?.name ?? ""}`;
}

interface Problem {
  code: Code;
  rule: DestinationRule;
  tls: RuleTls;
  ports: number[];
}

/** The TLS problem a rule's setting causes on one port, if any. */
function classify(tls: RuleTls, c: PortConnection): Code | undefined {
  const strictInMesh = c.server.mode === "STRICT" && c.targetDataPlane !== "none";
  if (tls.mode === "DISABLE" && strictInMesh) return "MTLS203";
  if ((tls.mode === "SIMPLE" || tls.mode === "MUTUAL") && strictInMesh) return "MTLS204";
  if (tls.mode === "ISTIO_MUTUAL" && c.targetDataPlane === "none") return "MTLS205";
  return undefined;
}

function fixesFor(ctx: CheckContext, target: Target, problem: Problem): Fix[] {
  if (problem.code === "MTLS205") {
    const pod = target.pods[0];
    const workload = pod ? ownerWorkload(ctx.view, pod) : undefined;
    return [removeRuleTlsFix(problem.rule), injectFix(ctx.view, target.namespace, workload, ctx.now)];
  }
  if (problem.tls.where.startsWith("subset")) return [removeRuleTlsFix(problem.rule)];
  const port = problem.ports[0] ?? 0;
  return [istioMutualRuleFix(problem.rule, port, problem.tls.where.startsWith("portLevel")), removeRuleTlsFix(problem.rule)];
}

export const destinationRuleTls: Check = {
  name: "destination-rule-tls",
  description: "DestinationRules whose TLS settings contradict the server's PeerAuthentication, and auto mTLS turned off.",
  inputs: ["namespaces", "workloads", "peerAuthentications", "destinationRules", "meshConfig"],
  codes: ["MTLS203", "MTLS204", "MTLS205", "MTLS206"],
  run(ctx) {
    for (const target of ctx.targets) {
      const client = clientOf(ctx, target);
      if (client.dataPlane !== "sidecar") continue;
      const problems = new Map<string, Problem>();
      const autoOff: PortConnection[] = [];
      for (const c of connectionFor(ctx.view, target, client)) {
        const settings: RuleTls[] = [];
        if (c.ruleTls) settings.push(c.ruleTls);
        if (c.rule) settings.push(...subsetTlsForPort(c.rule, c.port.port).map((s) => s.tls));
        for (const tls of settings) {
          const code = classify(tls, c);
          if (!code || !c.rule) continue;
          const key = `${code}|${ruleRef(c.rule)}|${tls.where.replace(/\[port \d+\]/, "")}`;
          const problem = problems.get(key) ?? { code, rule: c.rule, tls, ports: [] };
          problem.ports.push(c.port.port);
          problems.set(key, problem);
        }
        const auto = meshConfigFor(ctx.view, target.namespace).enableAutoMtls;
        if (!auto && !c.ruleTls && c.server.mode === "STRICT" && c.targetDataPlane !== "none") autoOff.push(c);
      }
      for (const problem of problems.values()) {
        const where = problem.tls.where === "trafficPolicy" ? "" : ` (${problem.tls.where})`;
        ctx.report(
          newFinding(problem.code, {
            resource: `DestinationRule ${ruleRef(problem.rule)}`,
            params: {
              rule: ruleRef(problem.rule),
              mode: problem.tls.mode,
              where,
              target: target.resource,
              port: problem.ports.join(", "),
            },
            evidence: [
              `host: ${problem.rule.spec?.host ?? "?"}, ${problem.tls.where}.tls.mode: ${problem.tls.mode}`,
              `applies to clients in namespace ${client.namespace}`,
            ],
            fixes: fixesFor(ctx, target, problem),
          }),
        );
      }
      if (autoOff.length > 0) {
        const rule = autoOff[0]?.rule;
        ctx.report(
          newFinding("MTLS206", {
            resource: target.resource,
            params: { target: target.resource, port: autoOff.map((c) => c.port.port).join(", ") },
            evidence: [
              `enableAutoMtls: false in ${meshConfigFor(ctx.view, target.namespace).source ?? "the mesh config"}`,
              rule ? `DestinationRule ${ruleRef(rule)} applies but sets no tls` : "no DestinationRule applies",
            ],
            fixes: [rule ? istioMutualRuleFix(rule, autoOff[0]?.port.port ?? 0, false) : newIstioMutualRuleFix(target)],
          }),
        );
      }
    }
  },
};
