import type { DestinationRule } from "../cluster/kube-types.js";
import { connectionFor, nonIstioTlsIntoPermissiveHttp, type PortConnection } from "../mesh/connection.js";
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
  reason?: keyof typeof NON_ISTIO_TLS_REASONS;
  rule: DestinationRule;
  tls: RuleTls;
  ports: number[];
}

const NON_ISTIO_TLS_REASONS = {
  strict: "which is STRICT in the mesh: the server expects Istio mutual TLS and refuses it",
  permissiveHttp:
    "a PERMISSIVE HTTP port of a sidecar: its inbound listener matches TLS only with Istio's ALPN there, so the connection matches no filter chain and is refused",
} as const;

/** The TLS problem a rule's setting causes on one port, if any (and, for MTLS204, why). */
function classify(tls: RuleTls, c: PortConnection): { code: Code; reason?: keyof typeof NON_ISTIO_TLS_REASONS } | undefined {
  const strictInMesh = c.server.mode === "STRICT" && c.targetDataPlane !== "none";
  if (tls.mode === "DISABLE" && strictInMesh) return { code: "MTLS203" };
  if ((tls.mode === "SIMPLE" || tls.mode === "MUTUAL") && strictInMesh) return { code: "MTLS204", reason: "strict" };
  if (nonIstioTlsIntoPermissiveHttp(tls.mode, c.server, c.targetDataPlane, c.port)) return { code: "MTLS204", reason: "permissiveHttp" };
  if (tls.mode === "ISTIO_MUTUAL" && c.targetDataPlane === "none") return { code: "MTLS205" };
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
          const found = classify(tls, c);
          if (!found || !c.rule) continue;
          const { code, reason } = found;
          const key = `${code}|${reason ?? ""}|${ruleRef(c.rule)}|${tls.where.replace(/\[port \d+\]/, "")}`;
          const problem: Problem = problems.get(key) ?? { code, rule: c.rule, tls, ports: [], ...(reason ? { reason } : {}) };
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
              ...(problem.reason ? { reason: NON_ISTIO_TLS_REASONS[problem.reason] } : {}),
            },
            ports: problem.ports,
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
            ports: autoOff.map((c) => c.port.port),
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
