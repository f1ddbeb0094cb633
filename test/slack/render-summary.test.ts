import { describe, expect, it } from "vitest";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { renderSummary } from "../../src/slack/render-summary.js";
import type { MtlsRow } from "../../src/report/report.js";
import { buildFinding, buildReport } from "./build-report.js";
import { messageText } from "./message-texts.js";

const rows: MtlsRow[] = [
  { port: 80, targetPort: 8080, serverMode: "STRICT", serverPolicy: "shop/default", clientSends: "ISTIO_MUTUAL", clientPolicy: "auto", outcome: "ok" },
  { port: 9090, targetPort: 9090, serverMode: "STRICT", serverPolicy: "istio-system/default", clientSends: "PLAINTEXT", clientPolicy: null, outcome: "refused" },
  { port: 8443, targetPort: "https", serverMode: "PERMISSIVE", serverPolicy: "default", clientSends: "DISABLE", clientPolicy: "shop/no-tls", outcome: "plaintext" },
];

describe("renderSummary", () => {
  it("shows the verdict, the counts and one mTLS table line per port", () => {
    const report = buildReport({ mtls: rows, findings: [buildFinding("MTLS201"), buildFinding("MTLS210")] });
    const msg = renderSummary(report, { cluster: "prod" });
    const text = messageText(msg);
    expect(msg.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "🔴 Critical: traffic is or will be refused", emoji: true } });
    expect(text).toContain("*inventory.shop* from Deployment legacy/report-generator on *prod* — 2 finding(s): 🔴 1 critical · ⚠️ 0 warning · ℹ️ 1 info");
    expect(text).toContain(
      [
        "```",
        "80 → 8080     STRICT (shop/default)          ←  ISTIO_MUTUAL (auto)    ✅ ok",
        "9090 → 9090   STRICT (istio-system/default)  ←  PLAINTEXT (no proxy)   ❌ refused",
        "8443 → https  PERMISSIVE (default)           ←  DISABLE (shop/no-tls)  ⚠️ plaintext",
        "```",
      ].join("\n"),
    );
    expect(msg.text).toBe("inventory.shop on prod: critical (1 critical, 1 info); refused on port 9090");
    expect(messageLimitProblems(msg)).toEqual([]);
  });

  it("says which checks were skipped or failed, and why", () => {
    const report = buildReport({
      checks: [
        { name: "sidecar-presence", status: "ran", detail: "no findings" },
        { name: "envoy-config", status: "skipped", detail: "exec into pods is forbidden (pods/exec)" },
        { name: "proxy-sync", status: "failed", detail: "TypeError: boom" },
      ],
    });
    const text = messageText(renderSummary(report, { cluster: "prod" }));
    expect(text).toContain("*Checks:* 1 ran · 1 skipped · 1 failed");
    expect(text).toContain("• `envoy-config` skipped: exec into pods is forbidden (pods/exec)");
    expect(text).toContain("• `proxy-sync` failed: TypeError: boom");
  });

  it("lists certificates compactly and flags expired ones", () => {
    const cert = (name: string, notAfter: string) => ({
      name,
      type: name === "ROOTCA" ? ("CA" as const) : ("Cert Chain" as const),
      serial: "abc",
      notBefore: "2026-01-01T00:00:00Z",
      notAfter,
      valid: true,
      uriSans: [],
      trustDomain: "cluster.local",
    });
    const report = buildReport({
      proxies: [
        { pod: "shop/inventory-1", certificates: [cert("default", "2026-11-26T00:00:00Z"), cert("ROOTCA", "2036-01-01T00:00:00Z")] },
        { pod: "shop/inventory-2", certificates: [] },
      ],
    });
    const text = messageText(renderSummary(report, { cluster: "prod" }));
    expect(text).toContain("• `shop/inventory-1`: default ❌ *expired* 2026-11-26 00:00 UTC · ROOTCA ✅ until 2036-01-01 00:00 UTC");
    expect(text).toContain("• `shop/inventory-2`: no certificates in its config dump");
  });

  it("says no problems for a clean report", () => {
    const msg = renderSummary(buildReport({ mtls: [rows[0]!] }), { cluster: "prod" });
    expect(msg.blocks[0]).toMatchObject({ text: { text: "✅ No problems found" } });
    expect(messageText(msg)).toContain("— no findings");
  });

  it("caps a scan's table and says how many rows were left out", () => {
    const many: MtlsRow[] = Array.from({ length: 300 }, (_, i) => ({ ...rows[0]!, service: `ns-${i}/svc-${i}`, port: 1000 + i }));
    const msg = renderSummary(buildReport({ target: null, scope: { namespaces: ["a", "b"] }, mtls: many }), { cluster: "prod" });
    const text = messageText(msg);
    expect(text).toContain("ns-0/svc-0");
    expect(text).toMatch(/… 2\d\d more port\(s\) not shown/);
    expect(text).toContain("*scan of a, b*");
    expect(messageLimitProblems(msg, { sectionText: 2900 })).toEqual([]);
  });

  it("names the missing service when the target does not exist", () => {
    const report = buildReport({ target: null, mtls: [], findings: [buildFinding("MTLS901", { resource: "Service checkout/paymnets" })] });
    expect(messageText(renderSummary(report, { cluster: "prod" }))).toContain("*paymnets.checkout (not found)*");
  });
});
