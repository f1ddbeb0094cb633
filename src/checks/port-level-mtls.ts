import type { PeerAuthentication, Pod } from "../cluster/kube-types.js";
import { describeLabels, matchesLabels } from "../mesh/labels.js";
import { containerPortFor, declaredContainerPorts } from "../mesh/ports.js";
import { portKeyFix } from "../fixes/mesh-fixes.js";
import { newFinding, type Fix } from "./finding.js";
import type { Check, CheckContext } from "./types.js";

function ref(pa: PeerAuthentication): string {
  return `${pa.metadata?.namespace ?? ""}/${pa.metadata?.name ?? ""}`;
}

/** A key that is a Service port of the selected pods: the container port it forwards to. */
function containerPortForServicePort(ctx: CheckContext, namespace: string, pods: Pod[], key: number): number | undefined {
  for (const service of ctx.view.services(namespace)) {
    const selector = service.spec?.selector;
    if (!selector || !pods.some((p) => matchesLabels(selector, p.metadata?.labels))) continue;
    const port = service.spec?.ports?.find((p) => p.port === key);
    if (!port) continue;
    for (const pod of pods) {
      const resolved = containerPortFor(pod, port.targetPort ?? key);
      if (resolved !== undefined) return resolved;
    }
  }
  return undefined;
}

function serviceTargetPorts(ctx: CheckContext, namespace: string, pods: Pod[]): number[] {
  const out: number[] = [];
  for (const service of ctx.view.services(namespace)) {
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) continue;
    const selected = pods.filter((p) => matchesLabels(selector, p.metadata?.labels));
    for (const port of service.spec?.ports ?? []) {
      for (const pod of selected) {
        const resolved = containerPortFor(pod, port.targetPort ?? port.port ?? 0);
        if (resolved !== undefined) out.push(resolved);
      }
    }
  }
  return out;
}

export const portLevelMtls: Check = {
  name: "port-level-mtls",
  description: "portLevelMtls keys that are no container port of the selected pods, and portLevelMtls without a selector.",
  inputs: ["peerAuthentications", "pods", "services"],
  codes: ["MTLS208"],
  run(ctx) {
    for (const namespace of ctx.namespaces) {
      for (const policy of ctx.view.peerAuthentications(namespace)) {
        const keys = Object.keys(policy.spec?.portLevelMtls ?? {});
        if (keys.length === 0) continue;
        const selector = policy.spec?.selector?.matchLabels;
        if (!selector || Object.keys(selector).length === 0) {
          ctx.report(
            newFinding("MTLS208", {
              resource: `PeerAuthentication ${ref(policy)}`,
              params: { policy: ref(policy), problem: "portLevelMtls is set without a selector (Istio only honours it on workload policies)" },
              evidence: [`portLevelMtls keys: ${keys.join(", ")}`],
            }),
          );
          continue;
        }
        const pods = ctx.view.pods(namespace).filter((p) => matchesLabels(selector, p.metadata?.labels));
        if (pods.length === 0) continue;
        const ports = new Set<number>();
        for (const pod of pods) for (const p of declaredContainerPorts(pod)) ports.add(p);
        // A Service's targetPort is a container port even when the container does not declare it.
        for (const p of serviceTargetPorts(ctx, namespace, pods)) ports.add(p);
        for (const key of keys) {
          if (ports.has(Number(key))) continue;
          const containerPort = /^\d+$/.test(key) ? containerPortForServicePort(ctx, namespace, pods, Number(key)) : undefined;
          const fixes: Fix[] = containerPort !== undefined ? [portKeyFix(policy, key, containerPort)] : [];
          ctx.report(
            newFinding("MTLS208", {
              resource: `PeerAuthentication ${ref(policy)}`,
              params: {
                policy: ref(policy),
                problem:
                  containerPort !== undefined
                    ? `portLevelMtls key ${key} is a Service port, not a container port: the pods listen on ${containerPort}`
                    : `portLevelMtls key ${key} is no container port of the pods it selects`,
              },
              evidence: [
                `selector: ${describeLabels(selector)} (${pods.length} pod(s))`,
                `container ports of those pods: ${[...ports].sort((a, b) => a - b).join(", ") || "none declared"}`,
              ],
              fixes,
            }),
          );
        }
      }
    }
  },
};
