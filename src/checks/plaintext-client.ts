import type { Labels } from "../cluster/kube-types.js";
import { connectionFor, type PortConnection } from "../mesh/connection.js";
import { injectionOptOut, namespaceInjection } from "../mesh/injection.js";
import { dataPlane, isHostNetwork, podRef } from "../mesh/proxy.js";
import { workloadPolicies } from "../mesh/server-mode.js";
import { containerPortFor } from "../mesh/ports.js";
import { injectFix, permissivePortFix, restartFix } from "../fixes/mesh-fixes.js";
import { newFinding, type Fix } from "./finding.js";
import { clientOf, joinPorts } from "./subjects.js";
import type { Check, CheckContext, Source, Target } from "./types.js";

function strictPorts(connections: PortConnection[]): PortConnection[] {
  return connections.filter((c) => c.server.mode === "STRICT" && c.targetDataPlane !== "none");
}

function permissiveFixes(ctx: CheckContext, target: Target, strict: PortConnection[]): Fix[] {
  const selector: Labels = target.service.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) return [];
  const fixes: Fix[] = [];
  for (const c of strict) {
    const containerPort = c.serverPod ? containerPortFor(c.serverPod, c.port.targetPort) : undefined;
    if (containerPort === undefined) continue;
    const existing = c.serverPod ? workloadPolicies(ctx.view, c.serverPod)[0] : undefined;
    fixes.push(permissivePortFix(existing, { name: target.name, namespace: target.namespace, selector }, containerPort));
  }
  return fixes;
}

/**
 * Inject the client, where that can work: not for host-network pods (never in the mesh), not for a
 * workload that opts out, not into a namespace that refuses injection. In an injected namespace a
 * restart is enough.
 */
function injectClientFix(ctx: CheckContext, source: Source): Fix | undefined {
  const template = source.workload?.spec?.template;
  if (template?.spec?.hostNetwork === true || (source.pods.length > 0 && source.pods.every(isHostNetwork))) return undefined;
  if (template && injectionOptOut(template)) return undefined;
  const injection = namespaceInjection(ctx.view.namespace(source.namespace));
  if (injection.disabled) return undefined;
  if (injection.injected) return source.workload ? restartFix(source.workload, ctx.now, "so that its pods get a sidecar") : undefined;
  return injectFix(ctx.view, source.namespace, source.workload, ctx.now);
}

function describeMode(c: PortConnection): string {
  return `port ${c.port.port} → container port ${c.port.targetPort}: ${c.server.mode} (set by ${c.server.policyRef})`;
}

export const plaintextClient: Check = {
  name: "plaintext-client",
  description: "Plaintext clients (no proxy) of a STRICT port: the named source, or non-mesh pods beside the target.",
  inputs: ["pods", "namespaces", "peerAuthentications", "destinationRules", "meshConfig"],
  codes: ["MTLS201", "MTLS202"],
  run(ctx) {
    const sourcePods = new Set((ctx.source?.pods ?? []).map(podRef));
    // One MTLS202 per pod, however many STRICT services share its namespace.
    const reportedNearby = new Set<string>();
    for (const target of ctx.targets) {
      const strict = strictPorts(connectionFor(ctx.view, target, clientOf(ctx, target)));
      if (strict.length === 0) continue;
      const ports = joinPorts(strict.map((c) => c.port.port));
      const source = ctx.source;
      if (source && clientOf(ctx, target).dataPlane === "none") {
        const fixes = permissiveFixes(ctx, target, strict);
        const injectable = injectClientFix(ctx, source);
        if (injectable) fixes.push(injectable);
        ctx.report(
          newFinding("MTLS201", {
            resource: source.resource,
            params: { source: source.resource, target: target.resource, ports },
            ports: strict.map((c) => c.port.port),
            evidence: [
              ...strict.map(describeMode),
              ...source.pods.map((p) => `source pod ${podRef(p)}: ${dataPlane(ctx.view, p) === "none" ? "no proxy" : "in the mesh"}${isHostNetwork(p) ? " (host network)" : ""}`),
            ],
            fixes,
          }),
        );
      }
      const targetPods = new Set(target.pods.map(podRef));
      for (const pod of ctx.view.pods(target.namespace)) {
        const ref = podRef(pod);
        if (targetPods.has(ref) || sourcePods.has(ref) || reportedNearby.has(ref)) continue;
        if (isHostNetwork(pod) || dataPlane(ctx.view, pod) !== "none") continue;
        reportedNearby.add(ref);
        ctx.report(
          newFinding("MTLS202", {
            resource: `Pod ${ref}`,
            params: { pod: ref, target: target.resource, ports },
            ports: strict.map((c) => c.port.port),
            evidence: [
              ...strict.map(describeMode),
              injectionOptOut(pod) ? `pod opts out of injection (sidecar.istio.io/inject: "false")` : `pod has no istio-proxy container`,
            ],
            fixes: permissiveFixes(ctx, target, strict),
          }),
        );
      }
    }
  },
};
