import { describe, expect, it } from "vitest";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { diagnose } from "../../src/engine/diagnose.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const OBSERVED = "test/fixtures/checks/observed-traffic/snapshot";

describe("what the proxies counted, next to the configuration", () => {
  it("adds the counts to the finding that explains them, with the counters and the window", async () => {
    const report = diagnose(await loadSnapshotDir(OBSERVED), { mode: "check", target: { service: "ledger", namespace: "pay" }, from: { name: "batch", namespace: "pay" }, now: NOW });
    const mtls201 = report.findings.find((f) => f.code === "MTLS201");
    expect(mtls201?.evidence).toContain(
      "observed by the proxies: The proxy of pod pay/ledger-7c9d8f6b5-k2m4p counted 37 refused or failed TLS connection(s) from clients of Service pay/ledger (since proxy start)",
    );
    expect(mtls201?.evidence).toContain("proxy of pay/ledger-7c9d8f6b5-k2m4p, inbound listener 0.0.0.0:15006 (every inbound port), since proxy start, up 3h 12m: no_filter_chain_match 37");
    expect(report.findings.map((f) => f.code)).not.toContain("MTLS701");
  });

  it("says where Istio trimmed the ssl counters, and the annotation that keeps them", async () => {
    const report = diagnose(await loadSnapshotDir(OBSERVED), { mode: "check", target: { service: "vault", namespace: "pay" }, from: { name: "web", namespace: "pay" }, now: NOW });
    const status = report.checks.find((c) => c.name === "observed-traffic");
    expect(status?.status).toBe("ran");
    expect(status?.detail).toContain("Envoy's ssl.* counters are absent from the stats of pay/vault-8f6b5c7d9-w2x4z");
    expect(status?.detail).toContain("proxyStatsMatcher:");
  });

  it("is skipped, with the reason, where no proxy stats or logs were read", async () => {
    const report = diagnose(await loadSnapshotDir("test/fixtures/checks/plaintext-client/snapshot"), { mode: "check", target: { service: "inventory", namespace: "shop" }, now: NOW });
    expect(report.checks.find((c) => c.name === "observed-traffic")).toEqual({
      name: "observed-traffic",
      status: "skipped",
      detail: "the snapshot holds no stats or access log of the proxies involved",
    });
    expect(report.mtls.every((row) => row.observed === undefined)).toBe(true);
  });

  it("skips the managed control plane check outside Cloud Service Mesh", async () => {
    const report = diagnose(await loadSnapshotDir(OBSERVED), { mode: "scan", namespaces: [], now: NOW });
    expect(report.checks.find((c) => c.name === "managed-control-plane")?.status).toBe("skipped");
    expect(report.checks.find((c) => c.name === "managed-control-plane")?.detail).toMatch(/not a Cloud Service Mesh managed control plane/);
  });
});
