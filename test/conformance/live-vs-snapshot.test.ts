import { existsSync, readdirSync, readFileSync } from "node:fs";
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
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";

const scenariosDir = path.join(SHARED_DIR, "scenarios");
const present = sharedAvailable("live-versus-snapshot conformance") && existsSync(scenariosDir);
const scenarios = present ? readdirSync(scenariosDir).filter((n) => existsSync(path.join(scenariosDir, n, "case.json"))).sort() : [];

function requestOf(name: string): DiagnoseRequest {
  const kase = JSON.parse(readFileSync(path.join(scenariosDir, name, "case.json"), "utf8")) as { args: string[]; now: string };
  const [service = "", namespace = "default"] = (kase.args[1] ?? "").split(".");
  const request: DiagnoseRequest = { mode: "check", target: { service, namespace }, now: new Date(kase.now) };
  const i = kase.args.indexOf("--from");
  if (i >= 0) {
    const [fromName = "", fromNs = namespace] = (kase.args[i + 1] ?? "").split(".");
    request.from = { name: fromName, namespace: fromNs };
  }
  return request;
}

/** What a person reads in a report: the findings, the mTLS table and the certificates. */
function essentials(report: Report) {
  return {
    verdict: report.verdict,
    findings: report.findings.map((f) => ({ code: f.code, severity: f.severity, resource: f.resource, message: f.message, fixes: f.fixes.map((x) => x.yaml) })),
    mtls: report.mtls,
    proxies: report.proxies,
  };
}

let bin: FakeIstioctlBin;
beforeAll(async () => {
  bin = await prepareFakeIstioctlBin();
});
afterAll(async () => {
  await bin?.cleanup();
});

describe.skipIf(!present)("a live check gives the same report as the snapshot directory it serves", () => {
  it.each(scenarios)("%s", async (name) => {
    const dir = path.join(scenariosDir, name, "snapshot");
    const request = requestOf(name);
    const fromDirectory = diagnose(await loadSnapshotDir(dir), request);
    const kube = await startFakeKubeApi({ snapshot: dir });
    try {
      // A directory without proxy-status output stands for a cluster where istioctl is not at hand.
      const hasProxyStatus = existsSync(path.join(dir, "proxy-status.txt")) || existsSync(path.join(dir, "proxy-status.json"));
      const istioctl = hasProxyStatus ? createIstioctlRunner({ binary: bin.istioctl, env: { ...process.env, ...fakeIstioctlEnv({ snapshotDir: dir }) } }) : null;
      const live = await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl });
      const fromCluster = diagnose(live, request);
      expect(essentials(fromCluster)).toEqual(essentials(fromDirectory));
    } finally {
      await kube.close();
    }
  });
});

describe.skipIf(!present)("when exec is forbidden and istioctl is absent", () => {
  it("the report still comes, with the proxy checks skipped and saying why", async () => {
    const dir = path.join(scenariosDir, "04-expired-workload-certificate", "snapshot");
    const request = requestOf("04-expired-workload-certificate");
    const kube = await startFakeKubeApi({ snapshot: dir, forbid: [{ verb: "exec" }] });
    try {
      const live = await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl: null });
      const report = diagnose(live, request);
      const certificates = report.checks.find((c) => c.name === "certificates");
      expect(certificates?.status).toBe("skipped");
      expect(certificates?.detail).toMatch(/forbidden/);
      expect(certificates?.detail).toMatch(/istioctl/);
      expect(report.checks.find((c) => c.name === "envoy-config")?.status).toBe("skipped");
      // The configuration checks still ran and the mTLS table is there.
      expect(report.checks.find((c) => c.name === "plaintext-client")?.status).toBe("ran");
      expect(report.mtls[0]).toMatchObject({ port: 80, serverMode: "STRICT" });
      expect(report.findings.some((f) => f.code === "MTLS401")).toBe(false);
    } finally {
      await kube.close();
    }
  });
});
