// The proxies' own counters and Cloud Service Mesh's revisions read live (exec stats/prometheus, a
// ControlPlaneRevision list) give the same report as the snapshot directory the fake API server serves.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { createIstioctlRunner } from "../../src/cluster/istioctl.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { inputsOf } from "../../src/checks/registry.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import type { Report } from "../../src/report/report.js";
import { fakeIstioctlEnv, prepareFakeIstioctlBin, type FakeIstioctlBin } from "../support/fake-istioctl.js";
import { startFakeKubeApi } from "../support/fake-kube-api.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const OBSERVED = path.resolve("test/fixtures/checks/observed-traffic/snapshot");
const MANAGED = path.resolve("test/fixtures/checks/managed-control-plane/snapshot");

const check = (service: string, namespace: string, from?: string): DiagnoseRequest => ({
  mode: "check",
  target: { service, namespace },
  now: NOW,
  ...(from ? { from: { name: from, namespace } } : {}),
});

function essentials(report: Report) {
  return {
    verdict: report.verdict,
    findings: report.findings.map((f) => ({ code: f.code, resource: f.resource, message: f.message, evidence: f.evidence })),
    mtls: report.mtls,
  };
}

let bin: FakeIstioctlBin;
beforeAll(async () => {
  bin = await prepareFakeIstioctlBin();
});
afterAll(async () => {
  await bin?.cleanup();
});

const cases: [string, string, DiagnoseRequest][] = [
  ["refused plaintext explained by MTLS201", OBSERVED, check("ledger", "pay", "batch")],
  ["handshake failures on both sides (MTLS701)", OBSERVED, check("wallet", "pay", "web")],
  ["plaintext on a PERMISSIVE port (MTLS702)", OBSERVED, check("audit", "pay")],
  ["plaintext seen only in the access log", OBSERVED, check("notes", "pay")],
  ["a stalled managed revision (MTLS107)", MANAGED, check("front", "store")],
  ["a reconciled managed revision", MANAGED, check("front", "books")],
];

describe("live and snapshot give the same observed traffic and control plane state", () => {
  it.each(cases)("%s", async (_name, dir, request) => {
    const fromDirectory = diagnose(await loadSnapshotDir(dir), request);
    const kube = await startFakeKubeApi({ snapshot: dir });
    try {
      const live = await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl: null });
      expect(essentials(diagnose(live, request))).toEqual(essentials(fromDirectory));
      // One exec for the stats per inspected proxy, beside the one for the config dump.
      const statsExecs = kube.requests.filter((r) => r.verb === "exec" && r.command?.join(" ") === "pilot-agent request GET stats/prometheus");
      const inspected = new Set(kube.requests.filter((r) => r.verb === "log").map((r) => `${r.namespace}/${r.name}`));
      expect(statsExecs.map((r) => `${r.namespace}/${r.name}`).sort()).toEqual([...inspected].sort());
    } finally {
      await kube.close();
    }
  });

  it("reads the stats through istioctl experimental envoy-stats where exec is forbidden", async () => {
    const request = check("wallet", "pay", "web");
    const fromDirectory = diagnose(await loadSnapshotDir(OBSERVED), request);
    const kube = await startFakeKubeApi({ snapshot: OBSERVED, forbid: [{ verb: "exec" }] });
    try {
      const istioctl = createIstioctlRunner({ binary: bin.istioctl, env: { ...process.env, ...fakeIstioctlEnv({ snapshotDir: OBSERVED }) } });
      const live = await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl });
      expect(live.unavailable.proxyStats).toBeUndefined();
      const report = diagnose(live, request);
      expect(report.mtls).toEqual(fromDirectory.mtls);
      expect(report.findings.filter((f) => f.code === "MTLS701").map((f) => f.resource)).toEqual([
        "Pod pay/wallet-5b7c9d8f6-q3r5t",
        "Pod pay/web-4c6d8f7b9-a1s3d",
      ]);
    } finally {
      await kube.close();
    }
  });

  it("does not ask for ControlPlaneRevisions in a mesh that is not Cloud Service Mesh's managed one", async () => {
    const kube = await startFakeKubeApi({ snapshot: OBSERVED });
    try {
      const request = check("wallet", "pay", "web");
      const report = diagnose(await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl: null }), request);
      expect(kube.requests.some((r) => r.resource === "controlplanerevisions")).toBe(false);
      expect(report.checks.find((c) => c.name === "managed-control-plane")?.status).toBe("skipped");
    } finally {
      await kube.close();
    }
  });
});
