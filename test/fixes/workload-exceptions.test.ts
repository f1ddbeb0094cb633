import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { KubeObject, PeerAuthentication, Service } from "../../src/cluster/kube-types.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import type { ClusterSnapshot } from "../../src/cluster/snapshot.js";
import type { Fix } from "../../src/checks/finding.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import { FixApplier } from "../../src/fixes/apply-fix.js";
import type { Report } from "../../src/report/report.js";
import { renderFindings } from "../../src/slack/render-findings.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";

const SNAPSHOT = path.resolve("test/fixtures/checks/plaintext-client/snapshot");
const NOW = new Date("2026-11-27T12:00:00Z");
const CHECK: DiagnoseRequest = { mode: "check", target: { service: "orders", namespace: "shop" }, from: { name: "reporter", namespace: "legacy" }, now: NOW };

let kube: FakeKubeApi | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

function objectsOf(fix: Fix): KubeObject[] {
  return parseAllDocuments(fix.yaml).map((d) => d.toJS() as KubeObject);
}

/** The fixes that write a PeerAuthentication, as the Slack thread offers them (each distinct fix once). */
function offeredExceptionFixes(report: Report): Fix[] {
  return renderFindings(report).messages.flatMap((m) => m.fixes.map((f) => f.fix)).filter((f) => f.targets.some((t) => t.startsWith("PeerAuthentication ")));
}

/** Workload policies in the fake cluster that select the orders pods. */
function ordersPolicies(k: FakeKubeApi): PeerAuthentication[] {
  return k.objects().peerAuthentications.filter((pa) => pa.metadata?.namespace === "shop" && pa.spec?.selector?.matchLabels?.["app"] === "orders");
}

async function apply(k: FakeKubeApi, fix: Fix): Promise<void> {
  const objects = objectsOf(fix);
  const preconditions = objects.map((o) => ({
    target: `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`,
    resourceVersion: k.getObject(o.kind ?? "", o.metadata?.namespace, o.metadata?.name ?? "")?.metadata?.resourceVersion ?? "absent",
  }));
  const outcome = await new FixApplier(k.kubeConfig()).applyFix({ objects, preconditions, approver: "U0APPROVER", threadLink: "https://fake/thread", now: NOW });
  expect(outcome.kind).toBe("applied");
}

function withOrdersPorts(snapshot: ClusterSnapshot, ports: NonNullable<Service["spec"]>["ports"]): ClusterSnapshot {
  for (const svc of snapshot.services) if (svc.metadata?.name === "orders" && svc.spec) svc.spec.ports = ports;
  return snapshot;
}

describe("one PERMISSIVE exception policy per workload", () => {
  it("MTLS201 and MTLS202 about ports 8080 and 9090 of one workload offer one fix: one object with both ports", async () => {
    const report = diagnose(await loadSnapshotDir(SNAPSHOT), CHECK);
    const codes = report.findings.filter((f) => f.fixes.some((x) => x.targets.some((t) => t.startsWith("PeerAuthentication ")))).map((f) => f.code);
    expect(codes).toContain("MTLS201");
    expect(codes).toContain("MTLS202");
    const offered = offeredExceptionFixes(report);
    expect(offered).toHaveLength(1);
    expect(offered[0]?.targets).toEqual(["PeerAuthentication shop/orders-mtls-exceptions"]);
    expect(objectsOf(offered[0]!)).toEqual([
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "orders-mtls-exceptions", namespace: "shop" },
        spec: { selector: { matchLabels: { app: "orders" } }, portLevelMtls: { "8080": { mode: "PERMISSIVE" }, "9090": { mode: "PERMISSIVE" } } },
      },
    ]);
  });

  it("an existing workload policy is extended with the port, keeping its mode and other ports, instead of a second policy", async () => {
    const snapshot = await loadSnapshotDir(SNAPSHOT);
    snapshot.peerAuthentications.push({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "orders-policy", namespace: "shop", creationTimestamp: "2026-01-10T08:00:00Z" },
      spec: { selector: { matchLabels: { app: "orders" } }, mtls: { mode: "STRICT" }, portLevelMtls: { "7070": { mode: "DISABLE" } } },
    });
    const [fix, ...others] = offeredExceptionFixes(diagnose(snapshot, CHECK));
    expect(others).toEqual([]);
    expect(fix?.targets).toEqual(["PeerAuthentication shop/orders-policy"]);
    const [policy] = objectsOf(fix!) as PeerAuthentication[];
    expect(policy?.spec?.portLevelMtls).toEqual({ "7070": { mode: "DISABLE" }, "8080": { mode: "PERMISSIVE" }, "9090": { mode: "PERMISSIVE" } });
    // The mode is not in the fix: server-side apply leaves what it does not send to its owner.
    expect(policy?.spec?.mtls).toBeUndefined();

    kube = await startFakeKubeApi({ snapshot });
    await apply(kube, fix!);
    expect(ordersPolicies(kube).map((pa) => [pa.metadata?.name, pa.spec?.mtls?.mode, Object.keys(pa.spec?.portLevelMtls ?? {}).sort()])).toEqual([
      ["orders-policy", "STRICT", ["7070", "8080", "9090"]],
    ]);
  });

  it("applying the fix for 8080 and later the one for 9090 leaves one policy with both ports", async () => {
    // First only port 80 → 8080 is served, and fixed.
    kube = await startFakeKubeApi({ snapshot: withOrdersPorts(await loadSnapshotDir(SNAPSHOT), [{ name: "http", port: 80, targetPort: 8080 }]) });
    const [first] = offeredExceptionFixes(diagnose(kube.objects(), CHECK));
    expect(Object.keys((objectsOf(first!)[0] as PeerAuthentication).spec?.portLevelMtls ?? {})).toEqual(["8080"]);
    await apply(kube, first!);

    // Then the Service exposes 9090 too: diagnosed again from the cluster as it is now.
    const service = kube.getObject("Service", "shop", "orders") as Service;
    kube.putObject({ ...service, spec: { ...service.spec, ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "grpc", port: 9090, targetPort: 9090 }] } } as KubeObject);
    const report = diagnose(kube.objects(), CHECK);
    expect(report.mtls.map((r) => [r.targetPort, r.serverMode])).toEqual([[8080, "PERMISSIVE"], [9090, "STRICT"]]);
    const [second, ...others] = offeredExceptionFixes(report);
    expect(others).toEqual([]);
    expect(second?.targets).toEqual(["PeerAuthentication shop/orders-mtls-exceptions"]);
    // The second fix carries 8080 as well: a real server-side apply drops a field its manager applied before and leaves out now.
    expect(Object.keys((objectsOf(second!)[0] as PeerAuthentication).spec?.portLevelMtls ?? {}).sort()).toEqual(["8080", "9090"]);
    await apply(kube, second!);

    expect(ordersPolicies(kube).map((pa) => [pa.metadata?.name, pa.spec?.portLevelMtls])).toEqual([
      ["orders-mtls-exceptions", { "8080": { mode: "PERMISSIVE" }, "9090": { mode: "PERMISSIVE" } }],
    ]);
  });
});
