import { describe, expect, it } from "vitest";
import { addObject, emptySnapshot } from "../../src/cluster/snapshot.js";
import type { Check } from "../../src/checks/types.js";
import { diagnose } from "../../src/engine/diagnose.js";
import { renderText } from "../../src/cli/render-text.js";

const NOW = new Date("2026-11-27T12:00:00Z");

describe("diagnose", () => {
  it("does not call a service missing when its Services could not be read: every check is skipped with the reason", () => {
    const snapshot = emptySnapshot();
    snapshot.unavailable.services = "cannot list services in namespace shop: forbidden (grant list on services)";
    const report = diagnose(snapshot, { mode: "check", target: { service: "inventory", namespace: "shop" }, now: NOW });
    expect(report.findings.map((f) => f.code)).not.toContain("MTLS901");
    expect(report.checks.every((c) => c.status === "skipped" && /forbidden/.test(c.detail))).toBe(true);
    expect(report.mtls).toEqual([]);
    expect(renderText(report)).toMatch(/^UNKNOWN \(no check could run\)/);
  });

  it("reports a check that throws as failed and still runs the others", () => {
    const snapshot = emptySnapshot();
    addObject(snapshot, { apiVersion: "v1", kind: "Service", metadata: { name: "inventory", namespace: "shop" }, spec: { selector: { app: "inventory" }, ports: [{ port: 80 }] } });
    const broken: Check = { name: "broken", description: "throws", inputs: ["pods"], codes: [], run: () => { throw new Error("boom"); } };
    const sneaky: Check = { name: "sneaky", description: "reads what it did not declare", inputs: ["pods"], codes: [], run: (ctx) => void ctx.view.services("shop") };
    const report = diagnose(snapshot, { mode: "check", target: { service: "inventory", namespace: "shop" }, now: NOW }, { checks: [broken, sneaky] });
    expect(report.checks).toEqual([
      { name: "broken", status: "failed", detail: "Error: boom" },
      { name: "sneaky", status: "failed", detail: 'UndeclaredInputError: input "services" was read but not declared' },
    ]);
    expect(report.mtls).toHaveLength(1);
  });

  it("skips a check whose input could not be collected, saying why", () => {
    const snapshot = emptySnapshot();
    addObject(snapshot, { apiVersion: "v1", kind: "Service", metadata: { name: "inventory", namespace: "shop" }, spec: { selector: { app: "inventory" }, ports: [{ port: 80 }] } });
    snapshot.unavailable.configDumps = "exec into istio-proxy is forbidden and istioctl is not on PATH";
    const report = diagnose(snapshot, { mode: "check", target: { service: "inventory", namespace: "shop" }, now: NOW });
    const certificates = report.checks.find((c) => c.name === "certificates");
    expect(certificates).toEqual({ name: "certificates", status: "skipped", detail: "exec into istio-proxy is forbidden and istioctl is not on PATH" });
    expect(report.checks.find((c) => c.name === "plaintext-client")?.status).toBe("ran");
  });
});
