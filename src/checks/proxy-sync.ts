import type { Pod } from "../cluster/kube-types.js";
import type { ProxyStatusEntry } from "../cluster/snapshot.js";
import { hasProxy, podRef } from "../mesh/proxy.js";
import { newFinding } from "./finding.js";
import { subjectPods } from "./subjects.js";
import type { Check } from "./types.js";

/** States of `istioctl proxy-status` that mean the proxy does not run the configuration istiod computed. */
const OUT_OF_SYNC = new Set(["STALE", "ERROR"]);
/**
 * NOT SENT counts for the four xDS types every sidecar is sent (FINDINGS.md lists NOT SENT as out of
 * sync); not for ECDS, which istioctl versions before 1.27 print as NOT SENT when no extension is used.
 */
const MUST_BE_SENT = new Set(["CDS", "LDS", "EDS", "RDS"]);

function outOfSync(type: string, state: string): boolean {
  return OUT_OF_SYNC.has(state) || (state === "NOT SENT" && MUST_BE_SENT.has(type));
}

function describeEntry(entry: ProxyStatusEntry): string {
  const types = Object.entries(entry.types).map(([type, state]) => `${type} ${state}`);
  const where = [entry.istiod && `istiod ${entry.istiod}`, entry.version && `version ${entry.version}`].filter(Boolean).join(", ");
  return `proxy-status: ${types.length > 0 ? types.join(", ") : "no xDS types"}${where ? ` (${where})` : ""}`;
}

/** `has STALE CDS, LDS and NOT SENT RDS configuration`. */
function describeOutOfSync(entry: ProxyStatusEntry): string | undefined {
  const byState = new Map<string, string[]>();
  for (const [type, state] of Object.entries(entry.types)) {
    if (!outOfSync(type, state)) continue;
    const list = byState.get(state) ?? [];
    list.push(type);
    byState.set(state, list);
  }
  if (byState.size === 0) return undefined;
  const parts = [...byState].map(([state, types]) => `${state} ${types.join(", ")}`);
  return `has ${parts.join(" and ")} configuration from ${entry.istiod ?? "the control plane"}: it is not running the current mesh policy`;
}

/** A pod whose proxy has not started yet is not expected in proxy-status. */
function expectedConnected(pod: Pod): boolean {
  return pod.status?.phase !== "Pending";
}

export const proxySync: Check = {
  name: "proxy-sync",
  description: "Target and source proxies that are not connected to istiod or run stale configuration (istioctl proxy-status).",
  inputs: ["proxyStatus", "pods"],
  codes: ["MTLS104"],
  run(ctx) {
    const statuses = ctx.view.proxyStatus();
    if (statuses === undefined) {
      ctx.skip("no istioctl proxy-status data in the snapshot");
      return;
    }
    const byPod = new Map(statuses.map((s) => [s.pod, s]));
    for (const pod of subjectPods(ctx)) {
      if (!hasProxy(pod)) continue;
      const ref = podRef(pod);
      const entry = byPod.get(ref);
      let state: string | undefined;
      const evidence: string[] = [];
      if (!entry) {
        if (!expectedConnected(pod)) continue;
        state = "is not connected to the control plane: istioctl proxy-status does not list it";
        evidence.push(`istioctl proxy-status lists ${statuses.length} proxies, none named ${pod.metadata?.name}.${pod.metadata?.namespace}`);
      } else {
        state = describeOutOfSync(entry);
        evidence.push(describeEntry(entry));
      }
      if (state === undefined) continue;
      ctx.report(newFinding("MTLS104", { resource: `Pod ${ref}`, params: { pod: ref, state }, evidence }));
    }
  },
};
