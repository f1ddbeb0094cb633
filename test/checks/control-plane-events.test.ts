import { describe, expect, it } from "vitest";
import type { KubeEvent, KubeObject } from "../../src/cluster/kube-types.js";
import { controlPlaneEvents } from "../../src/checks/control-plane-events.js";
import { app, codesAndResources, runCheck, snapshotOf, statusOf } from "./check-fixtures.js";

function event(namespace: string, name: string, type: string, reason: string, message: string, count = 1): KubeEvent {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name, namespace },
    involvedObject: { kind: "Pod", name: "istiod-7f9c5d8b6-x2k8p", namespace },
    type,
    reason,
    message,
    count,
    lastTimestamp: "2026-11-27T11:50:00Z",
  };
}

const NOISE: KubeObject[] = [
  event("istio-system", "e1", "Normal", "Pulled", "Container image \"istio/pilot:1.26.4\" already present on machine"),
  event("istio-system", "e2", "Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
  event("shop", "e3", "Warning", "FailedMount", "MountVolume.SetUp failed for volume \"istiod-ca-cert\" : configmap \"istio-ca-root-cert\" not found"),
];

describe("control-plane-events (MTLS406)", () => {
  it("reports certificate and CA failures in the control plane namespace only", () => {
    const snapshot = snapshotOf(
      ...app({ namespace: "shop", app: "api" }),
      ...NOISE,
      event("istio-system", "e4", "Warning", "FailedMount", "MountVolume.SetUp failed for volume \"cacerts\" : secret \"cacerts\" is invalid: root-cert.pem missing", 3),
      event("istio-system", "e5", "Warning", "CertificateRequestFailed", "Failed to sign CSR for spiffe://cluster.local/ns/shop/sa/api: CA certificate expired"),
    );
    const report = runCheck(controlPlaneEvents, snapshot, { service: "api", namespace: "shop" });
    expect(statusOf(report)).toBe("ran");
    expect(codesAndResources(report.findings)).toEqual(["MTLS406 Namespace istio-system"]);
    expect(report.findings[0]?.message).toMatch(/^Namespace istio-system has 4 certificate or CA failure event\(s\): Pod istiod-7f9c5d8b6-x2k8p: FailedMount: /);
    expect(report.findings[0]?.evidence).toHaveLength(2);
  });

  it("looks in the root namespace the mesh config names", () => {
    const snapshot = snapshotOf(
      ...app({ namespace: "shop", app: "api" }),
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio", namespace: "istio-system" }, data: { mesh: "rootNamespace: mesh-root\n" } } as KubeObject,
      event("mesh-root", "e6", "Warning", "SigningFailed", "istio-csr: failed to sign certificate request: issuer not ready"),
    );
    const report = runCheck(controlPlaneEvents, snapshot, { service: "api", namespace: "shop" });
    expect(codesAndResources(report.findings)).toEqual(["MTLS406 Namespace mesh-root"]);
  });

  it("finds nothing in a quiet control plane", () => {
    const report = runCheck(controlPlaneEvents, snapshotOf(...app({ namespace: "shop", app: "api" }), ...NOISE), { service: "api", namespace: "shop" });
    expect(report.findings).toEqual([]);
  });
});
