import { STATS_MATCHER_ANNOTATION } from "../proxy/envoy-stats.js";
import { observationsFor, type FailureObservation } from "../mesh/observed-traffic.js";
import { containerPortFor } from "../mesh/ports.js";
import { podRef } from "../mesh/proxy.js";
import { effectiveServerMode } from "../mesh/server-mode.js";
import { newFinding } from "./finding.js";
import { clientOf, joinPorts } from "./subjects.js";
import type { Check } from "./types.js";

function pathOf(observations: readonly FailureObservation[], target: string): string {
  const sides = new Set(observations.map((o) => o.side));
  const ports = [...new Set(observations.flatMap((o) => o.ports))].sort((a, b) => a - b);
  if (sides.size === 1 && sides.has("source")) return `towards ${target} ${joinPorts(ports)}`;
  if (sides.size === 1) return `from clients of ${target}`;
  return `towards and from ${target}`;
}

export const observedTraffic: Check = {
  name: "observed-traffic",
  description: "What the proxies counted: refused or failed TLS on the path (stats, access logs), and plaintext accepted on PERMISSIVE ports.",
  inputs: ["proxyStats", "proxyLogs", "pods", "workloads", "namespaces", "peerAuthentications", "destinationRules", "meshConfig"],
  optional: ["proxyStats", "proxyLogs"],
  codes: ["MTLS701", "MTLS702"],
  run(ctx) {
    let read = false;
    const trimmed = new Set<string>();
    for (const input of ["proxyStats", "proxyLogs"] as const) {
      const reason = ctx.view.unavailable(input);
      if (reason !== undefined) ctx.note(`${input === "proxyStats" ? "no proxy stats" : "no proxy logs"}: ${reason}`);
    }
    for (const target of ctx.targets) {
      const client = clientOf(ctx, target);
      const observations = observationsFor(ctx.view, target, ctx.source, client);
      if (observations.figures.size > 0) read = true;
      observations.trimmed.forEach((p) => trimmed.add(p));
      // One finding per proxy and port it counted on: a configuration finding may explain one port and not another.
      const byPod = new Map<string, { ref: string; failures: FailureObservation[] }>();
      for (const failure of observations.failures) {
        const ref = podRef(failure.pod);
        const key = `${ref}|${failure.side}|${failure.ports.join(",")}`;
        const group = byPod.get(key) ?? { ref, failures: [] };
        group.failures.push(failure);
        byPod.set(key, group);
      }
      for (const { ref, failures } of byPod.values()) {
        const windows = [...new Set(failures.map((f) => f.window))];
        ctx.report(
          newFinding("MTLS701", {
            resource: `Pod ${ref}`,
            params: {
              pod: ref,
              count: failures.reduce((n, f) => n + f.total, 0),
              path: pathOf(failures, target.resource),
              window: windows.join("; "),
              next: "the peers' certificates, their proxies' sync state and the reasons in the evidence say more",
            },
            evidence: failures.flatMap((f) => f.evidence),
            ports: [...new Set(failures.flatMap((f) => f.ports))],
          }),
        );
      }
      for (const plaintext of observations.plaintext) {
        const port = target.ports.find((p) => p.port === plaintext.port);
        const containerPort = port ? containerPortFor(plaintext.pod, port.targetPort) : undefined;
        if (effectiveServerMode(ctx.view, plaintext.pod, containerPort).mode !== "PERMISSIVE") continue;
        const ref = podRef(plaintext.pod);
        ctx.report(
          newFinding("MTLS702", {
            resource: `Pod ${ref}`,
            params: {
              pod: ref,
              count: plaintext.total,
              target: target.resource,
              port: plaintext.port,
              window: plaintext.window,
              clients: plaintext.sources.length > 0 ? ` from ${plaintext.sources.join(", ")}` : "",
            },
            evidence: plaintext.evidence,
            ports: [plaintext.port],
          }),
        );
      }
    }
    if (!read) {
      ctx.skip("the snapshot holds no stats or access log of the proxies involved");
      return;
    }
    if (trimmed.size > 0) {
      ctx.note(
        `Envoy's ssl.* counters are absent from the stats of ${[...trimmed].sort().join(", ")} (Istio trims them by default): ` +
          `add this pod template annotation and restart the workload to count failed handshakes:\n${STATS_MATCHER_ANNOTATION}`,
      );
    }
  },
};
