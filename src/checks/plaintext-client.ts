import type { Labels, PeerAuthentication, Pod } from "../cluster/kube-types.js";
import { connectionFor, type PortConnection } from "../mesh/connection.js";
import { injectionOptOut, namespaceInjection } from "../mesh/injection.js";
import { dataPlane, isHostNetwork, podRef } from "../mesh/proxy.js";
import { workloadPolicies } from "../mesh/server-mode.js";
import { containerPortFor } from "../mesh/ports.js";
import { exceptionsPolicyName, injectFix, permissivePortsFix, restartFix } from "../fixes/mesh-fixes.js";
import { ownerWorkload } from "../mesh/workloads.js";
import { newFinding, type Fix } from "./finding.js";
import { clientOf, joinPorts } from "./subjects.js";
import type { Check, CheckContext, Source, Target } from "./types.js";

function strictPorts(connections: PortConnection[]): PortConnection[] {
  return connections.filter((c) => c.server.mode === "STRICT" && c.targetDataPlane !== "none");
}

/** The affected container ports of a target's STRICT service ports, with the pod that serves each. */
function affectedContainerPorts(strict: PortConnection[]): { pod: Pod; port: number }[] {
  return strict.flatMap((c) => {
    const port = c.serverPod ? containerPortFor(c.serverPod, c.port.targetPort) : undefined;
    return c.serverPod && port !== undefined ? [{ pod: c.serverPod, port }] : [];
  });
}

/**
 * The PERMISSIVE exception fixes of every target, one per workload: the ports of all targets that
 * select one workload's pods (several Services may) go into the one fix for that workload.
 */
function permissiveFixesByTarget(ctx: CheckContext, strictByTarget: Map<Target, PortConnection[]>): Map<Target, Fix[]> {
  const byWorkload = new Map<string, { workload: string; namespace: string; selector: Labels; existing: PeerAuthentication | undefined; ports: number[]; targets: Target[] }>();
  for (const [target, strict] of strictByTarget) {
    const selector: Labels = target.service.spec?.selector ?? {};
    if (Object.keys(selector).length === 0) continue;
    for (const { pod, port } of affectedContainerPorts(strict)) {
      const existing = workloadPolicies(ctx.view, pod)[0];
      const workload = ownerWorkload(ctx.view, pod)?.metadata?.name ?? target.name;
      const key = `${target.namespace}/${existing?.metadata?.name ?? exceptionsPolicyName(workload)}`;
      const group = byWorkload.get(key) ?? { workload, namespace: target.namespace, selector, existing, ports: [], targets: [] };
      group.ports.push(port);
      if (!group.targets.includes(target)) group.targets.push(target);
      byWorkload.set(key, group);
    }
  }
  const fixes = new Map<Target, Fix[]>();
  for (const group of byWorkload.values()) {
    const fix = permissivePortsFix(group.existing, group, group.ports);
    for (const target of group.targets) fixes.set(target, [...(fixes.get(target) ?? []), fix]);
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
  inputs: ["pods", "namespaces", "workloads", "peerAuthentications", "destinationRules", "meshConfig"],
  codes: ["MTLS201", "MTLS202"],
  run(ctx) {
    const sourcePods = new Set((ctx.source?.pods ?? []).map(podRef));
    // One MTLS202 per pod, however many STRICT services share its namespace.
    const reportedNearby = new Set<string>();
    const strictByTarget = new Map<Target, PortConnection[]>();
    for (const target of ctx.targets) {
      const strict = strictPorts(connectionFor(ctx.view, target, clientOf(ctx, target)));
      if (strict.length > 0) strictByTarget.set(target, strict);
    }
    const exceptions = permissiveFixesByTarget(ctx, strictByTarget);
    for (const [target, strict] of strictByTarget) {
      const ports = joinPorts(strict.map((c) => c.port.port));
      const permissiveFixes = () => [...(exceptions.get(target) ?? [])];
      const source = ctx.source;
      if (source && clientOf(ctx, target).dataPlane === "none") {
        const fixes = permissiveFixes();
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
            fixes: permissiveFixes(),
          }),
        );
      }
    }
  },
};
