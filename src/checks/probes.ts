import type { Container, Pod, Probe } from "../cluster/kube-types.js";
import { hasProxy, podRef, PROXY_CONTAINER } from "../mesh/proxy.js";
import { effectiveServerMode } from "../mesh/server-mode.js";
import { ownerWorkload } from "../mesh/workloads.js";
import { rewriteProbesFix } from "../fixes/mesh-fixes.js";
import { newFinding } from "./finding.js";
import type { Check } from "./types.js";

const DEFAULT_STATUS_PORT = 15020;
const PROBE_KINDS = ["livenessProbe", "readinessProbe", "startupProbe"] as const;

function probePort(container: Container, probe: Probe): number | undefined {
  const port = probe.httpGet?.port ?? probe.grpc?.port;
  if (typeof port === "number") return port;
  if (typeof port === "string") {
    if (/^\d+$/.test(port)) return Number(port);
    return container.ports?.find((p) => p.name === port)?.containerPort;
  }
  return undefined;
}

function excludedInboundPorts(pod: Pod): Set<number> {
  const raw = pod.metadata?.annotations?.["traffic.sidecar.istio.io/excludeInboundPorts"] ?? "";
  return new Set(raw.split(",").map((s) => s.trim()).filter((s) => /^\d+$/.test(s)).map(Number));
}

function isProbeFailureEvent(reason: string | undefined, message: string | undefined): boolean {
  return reason === "Unhealthy" || /probe failed/i.test(message ?? "");
}

export const probes: Check = {
  name: "probes",
  description: "HTTP/gRPC probes on STRICT ports that were not rewritten to the sidecar, and containers restarting on probes.",
  inputs: ["peerAuthentications", "meshConfig", "workloads", "events"],
  codes: ["MTLS501", "MTLS502"],
  run(ctx) {
    const seen = new Set<string>();
    for (const target of ctx.targets) {
      for (const pod of target.pods) {
        const ref = podRef(pod);
        if (seen.has(ref)) continue;
        seen.add(ref);
        if (hasProxy(pod)) {
          const statusPort = Number(pod.metadata?.annotations?.["status.sidecar.istio.io/port"] ?? DEFAULT_STATUS_PORT);
          const excluded = excludedInboundPorts(pod);
          for (const container of pod.spec?.containers ?? []) {
            if (container.name === PROXY_CONTAINER) continue;
            const byPort = new Map<number, string[]>();
            for (const kind of PROBE_KINDS) {
              const probe = container[kind];
              if (!probe || (!probe.httpGet && !probe.grpc)) continue;
              const port = probePort(container, probe);
              if (port === undefined || port === statusPort || excluded.has(port)) continue;
              if (effectiveServerMode(ctx.view, pod, port).mode !== "STRICT") continue;
              byPort.set(port, [...(byPort.get(port) ?? []), kind.replace("Probe", "")]);
            }
            for (const [port, kinds] of byPort) {
              const workload = ownerWorkload(ctx.view, pod);
              const rewrite = pod.metadata?.annotations?.["sidecar.istio.io/rewriteAppHTTPProbers"];
              ctx.report(
                newFinding("MTLS501", {
                  resource: `Pod ${ref}`,
                  params: { pod: ref, probes: `${kinds.join(" and ")} probe${kinds.length > 1 ? "s" : ""}`, container: container.name ?? "?", port },
                  evidence: [
                    ...kinds.map((k) => {
                      const probe = container[`${k}Probe` as (typeof PROBE_KINDS)[number]];
                      return `${k}: ${probe?.httpGet ? `httpGet ${probe.httpGet.path ?? "/"} port ${probe.httpGet.port}` : `grpc port ${probe?.grpc?.port}`}`;
                    }),
                    ...(rewrite !== undefined ? [`pod annotation sidecar.istio.io/rewriteAppHTTPProbers: "${rewrite}"`] : []),
                  ],
                  fixes: workload ? [rewriteProbesFix(workload)] : [],
                }),
              );
            }
          }
        }
        const events = ctx.view.events(pod.metadata?.namespace ?? "").filter((e) => e.involvedObject?.name === pod.metadata?.name);
        const probeEvents = events.filter((e) => isProbeFailureEvent(e.reason, e.message));
        for (const status of pod.status?.containerStatuses ?? []) {
          if (status.name === PROXY_CONTAINER || (status.restartCount ?? 0) === 0) continue;
          const terminated = status.lastState?.terminated;
          if (probeEvents.length === 0 && !terminated) continue;
          const why = probeEvents.length > 0 ? ` after probe failures (${probeEvents[0]?.message ?? "Unhealthy"})` : ` (last terminated: ${terminated?.reason ?? "?"})`;
          ctx.report(
            newFinding("MTLS502", {
              resource: `Pod ${ref}`,
              params: { pod: ref, container: status.name ?? "?", restarts: status.restartCount ?? 0, why },
              evidence: [
                ...probeEvents.slice(0, 3).map((e) => `event ${e.reason ?? ""} (x${e.count ?? 1}): ${e.message ?? ""}`),
                ...(terminated ? [`last terminated: ${terminated.reason ?? "?"}, exit code ${terminated.exitCode ?? "?"}${terminated.finishedAt ? ` at ${terminated.finishedAt}` : ""}`] : []),
              ],
            }),
          );
        }
      }
    }
  },
};
