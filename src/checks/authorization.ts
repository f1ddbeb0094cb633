import type { AuthorizationPolicy, Pod } from "../cluster/kube-types.js";
import { evaluateAuthorization, policiesForPod, principalOf, type AuthzVerdict } from "../mesh/authorization.js";
import { connectionFor } from "../mesh/connection.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { containerPortFor } from "../mesh/ports.js";
import { allowPrincipalFix } from "../fixes/mesh-fixes.js";
import { newFinding, type Fix } from "./finding.js";
import { clientOf } from "./subjects.js";
import type { Check, CheckContext, Source, Target } from "./types.js";

function ref(p: AuthorizationPolicy): string {
  return `${p.metadata?.namespace ?? ""}/${p.metadata?.name ?? ""}`;
}

function serviceAccountOf(source: Source): string {
  const pod = source.pods[0];
  return (
    pod?.spec?.serviceAccountName ??
    pod?.spec?.serviceAccount ??
    source.workload?.spec?.template?.spec?.serviceAccountName ??
    "default"
  );
}

/** Target pods with distinct label sets: pods of one template share their policies. */
function representativePods(target: Target): Pod[] {
  const seen = new Map<string, Pod>();
  for (const pod of target.pods) {
    const key = JSON.stringify(Object.entries(pod.metadata?.labels ?? {}).filter(([k]) => k !== "pod-template-hash").sort());
    if (!seen.has(key)) seen.set(key, pod);
  }
  return [...seen.values()];
}

const IDENTITY_FIELDS = ["principals", "notPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts"] as const;

function identityFields(policy: AuthorizationPolicy): string[] {
  const used = new Set<string>();
  for (const rule of policy.spec?.rules ?? []) {
    for (const from of rule.from ?? []) {
      for (const field of IDENTITY_FIELDS) if (from.source?.[field] !== undefined) used.add(`source.${field}`);
    }
    for (const w of rule.when ?? []) if (w.key === "source.principal" || w.key === "source.namespace") used.add(w.key);
  }
  return [...used];
}

function reportDenials(ctx: CheckContext, target: Target, source: Source): void {
  const connections = connectionFor(ctx.view, target, clientOf(ctx, target));
  const mesh = meshConfigFor(ctx.view, target.namespace);
  const sa = serviceAccountOf(source);
  const denials = new Map<string, { verdict: AuthzVerdict; ports: Set<number>; pods: Set<string> }>();
  for (const pod of representativePods(target)) {
    for (const c of connections) {
      // A refused connection never reaches authorization: that is a transport finding.
      if (c.outcome === "refused") continue;
      const port = containerPortFor(pod, c.port.targetPort);
      if (port === undefined) continue;
      const peer = { namespace: source.namespace, serviceAccount: sa, mtls: c.outcome === "ok" };
      const verdict = evaluateAuthorization(ctx.view, pod, port, peer);
      if (verdict.decision === "allowed") continue;
      const key = verdict.policy ? `policy:${ref(verdict.policy)}` : `allow:${verdict.allowPolicies.map(ref).join(",")}|${peer.mtls}`;
      const entry = denials.get(key) ?? { verdict, ports: new Set<number>(), pods: new Set<string>() };
      entry.ports.add(port);
      entry.pods.add(pod.metadata?.name ?? "");
      denials.set(key, entry);
    }
  }
  for (const { verdict, ports } of denials.values()) {
    const principal = principalOf({ namespace: source.namespace, serviceAccount: sa, mtls: true }, mesh.trustDomain);
    const fixes: Fix[] = [];
    const selector = target.service.spec?.selector ?? {};
    const mtls = connections.some((c) => c.outcome === "ok");
    if (!verdict.policy && mtls && Object.keys(selector).length > 0) {
      fixes.push(
        allowPrincipalFix({ name: target.name, namespace: target.namespace, selector }, { name: source.name, principal }, [...ports]),
      );
    }
    ctx.report(
      newFinding("MTLS301", {
        resource: verdict.policy ? `AuthorizationPolicy ${ref(verdict.policy)}` : target.resource,
        params: {
          source: source.resource,
          verdict: verdict.decision === "denied" ? "denied" : "possibly denied",
          target: `${target.resource} (container ${[...ports].length === 1 ? "port" : "ports"} ${[...ports].join(", ")})`,
          reason: verdict.reason,
        },
        evidence: [
          `source identity: ${mtls ? principal : "none (plaintext)"}`,
          ...verdict.allowPolicies.map((p) => `ALLOW policy ${ref(p)} applies to the target`),
          ...(verdict.unknown.length > 0 ? [`may match depending on request attributes: ${verdict.unknown.join(", ")}`] : []),
        ],
        fixes,
      }),
    );
  }
}

export const authorization: Check = {
  name: "authorization",
  description: "Authorization policies that refuse the source, or that match on identity where plaintext is accepted.",
  inputs: ["authorizationPolicies", "namespaces", "peerAuthentications", "destinationRules", "meshConfig"],
  codes: ["MTLS301", "MTLS302"],
  run(ctx) {
    for (const target of ctx.targets) {
      if (ctx.source) reportDenials(ctx, target, ctx.source);
      const connections = connectionFor(ctx.view, target, clientOf(ctx, target));
      const policies = new Map<string, AuthorizationPolicy>();
      for (const pod of representativePods(target)) for (const p of policiesForPod(ctx.view, pod)) policies.set(ref(p), p);
      for (const policy of policies.values()) {
        const fields = identityFields(policy);
        if (fields.length === 0) continue;
        const policyPorts = new Set((policy.spec?.rules ?? []).flatMap((r) => (r.to ?? []).flatMap((t) => t.operation?.ports ?? [])));
        const open = connections.filter(
          (c) => c.targetDataPlane !== "none" && c.server.mode !== "STRICT" && (policyPorts.size === 0 || policyPorts.has(String(c.port.targetPort))),
        );
        if (open.length === 0) continue;
        ctx.report(
          newFinding("MTLS302", {
            resource: `AuthorizationPolicy ${ref(policy)}`,
            params: {
              policy: ref(policy),
              fields: fields.join(", "),
              target: target.resource,
              ports: open.map((c) => c.port.port).join(", "),
              mode: [...new Set(open.map((c) => c.server.mode))].join("/"),
            },
            evidence: open.map((c) => `port ${c.port.port}: ${c.server.mode} (set by ${c.server.policyRef})`),
          }),
        );
      }
    }
  },
};
