import { describe, expect, it } from "vitest";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { inputsOf } from "../../src/checks/registry.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import { startFakeKubeApi } from "../support/fake-kube-api.js";
import { SOURCE, TARGET, syntheticCluster } from "./synthetic-cluster.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const PROXY_VERBS = new Set(["exec", "log"]);

async function requestsFor(request: DiagnoseRequest, namespaces: number, targetPods: number) {
  const kube = await startFakeKubeApi({ snapshot: syntheticCluster({ namespaces, targetPods }) });
  try {
    const live = await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl: null });
    const proxy = kube.requests.filter((r) => PROXY_VERBS.has(r.verb));
    return {
      report: diagnose(live, request),
      controlPlane: kube.requests.length - proxy.length,
      proxiesInspected: new Set(proxy.map((r) => `${r.namespace}/${r.name}`)),
      perProxy: proxy.length / Math.max(1, new Set(proxy.map((r) => `${r.namespace}/${r.name}`)).size),
    };
  } finally {
    await kube.close();
  }
}

describe("a live check inspects a bounded number of proxies", () => {
  it("at most 3 of a workload's replicas, however many there are, and the report says how many of how many", async () => {
    const request: DiagnoseRequest = { mode: "check", target: { ...TARGET }, from: { ...SOURCE }, now: NOW };
    const five = await requestsFor(request, 10, 5);
    const forty = await requestsFor(request, 10, 40);
    // Target: 3 of its replicas; source (2 replicas): both.
    expect(five.proxiesInspected.size).toBe(5);
    expect(forty.proxiesInspected.size).toBe(5);
    // Per inspected proxy: one exec for the config dump, one for the stats, one log read.
    expect(forty.perProxy).toBe(3);
    const logs = forty.report.checks.find((c) => c.name === "proxy-logs");
    expect(logs?.detail).toContain("proxies of 3 of 40 target pods and 2 of 2 source pods were inspected");
    expect(forty.controlPlane).toBe(five.controlPlane);
  });

  it("keeps the control-plane requests flat in cluster size and within 15 without a source elsewhere", async () => {
    const request: DiagnoseRequest = { mode: "check", target: { ...TARGET }, now: NOW };
    const small = await requestsFor(request, 10, 5);
    const large = await requestsFor(request, 1_000, 5);
    expect(small.controlPlane).toBe(large.controlPlane);
    expect(small.controlPlane).toBeLessThanOrEqual(15);
  });
});
