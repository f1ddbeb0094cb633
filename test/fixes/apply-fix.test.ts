import { afterEach, describe, expect, it } from "vitest";
import { addObject, emptySnapshot } from "../../src/cluster/snapshot.js";
import { FixApplier } from "../../src/fixes/apply-fix.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";

let kube: FakeKubeApi | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

function cluster() {
  const snapshot = emptySnapshot();
  addObject(snapshot, { apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy", labels: { team: "reports" } } });
  addObject(snapshot, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "report", namespace: "legacy" },
    spec: { selector: { matchLabels: { app: "report" } }, template: { metadata: { labels: { app: "report" } }, spec: { containers: [{ name: "report", image: "r:1" }] } } },
  });
  return snapshot;
}

const FIX = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy", labels: { "istio-injection": "enabled" } } },
  {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "report", namespace: "legacy" },
    spec: { selector: { matchLabels: { app: "report" } }, template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-27T12:00:00Z" } } } },
  },
];

async function versions(k: FakeKubeApi) {
  return [
    { target: "Namespace legacy", resourceVersion: k.getObject("Namespace", undefined, "legacy")?.metadata?.resourceVersion ?? "absent" },
    { target: "Deployment legacy/report", resourceVersion: k.getObject("Deployment", "legacy", "report")?.metadata?.resourceVersion ?? "absent" },
  ];
}

describe("FixApplier against the fake API server", () => {
  it("applies a two-object fix in order after dry-running both, and keeps the prior state", async () => {
    kube = await startFakeKubeApi({ snapshot: cluster() });
    const applier = new FixApplier(kube.kubeConfig());
    const outcome = await applier.applyFix({ objects: FIX, preconditions: await versions(kube), approver: "U0APPROVER", threadLink: "https://fake/thread", now: new Date("2026-11-27T12:00:00Z") });
    expect(outcome.kind).toBe("applied");
    const writes = kube.requests.filter((r) => r.verb === "patch").map((r) => `${r.resource}${r.dryRun ? " (dry run)" : ""}`);
    expect(writes).toEqual(["namespaces (dry run)", "deployments (dry run)", "namespaces", "deployments"]);
    expect(kube.getObject("Namespace", undefined, "legacy")?.metadata?.labels).toEqual({ team: "reports", "istio-injection": "enabled" });
    if (outcome.kind === "applied") expect(outcome.prior[0]?.metadata?.labels).toEqual({ team: "reports" });
  });

  it("when the second write fails, the first is rolled back and the outcome names both", async () => {
    kube = await startFakeKubeApi({ snapshot: cluster(), fail: [{ verb: "patch", resource: "deployments", dryRun: false, status: 500 }] });
    const applier = new FixApplier(kube.kubeConfig());
    const outcome = await applier.applyFix({ objects: FIX, preconditions: await versions(kube), approver: "U0APPROVER", threadLink: "https://fake/thread", now: new Date() });
    expect(outcome.kind).toBe("failed");
    if (outcome.kind !== "failed") return;
    expect(outcome.reason).toMatch(/Deployment legacy\/report/);
    expect(outcome.applied).toEqual(["Namespace legacy"]);
    expect(outcome.rolledBack).toEqual(["Namespace legacy"]);
    expect(outcome.notRolledBack).toEqual([]);
    expect(kube.getObject("Namespace", undefined, "legacy")?.metadata?.labels).toEqual({ team: "reports" });
  });

  it("a dry run the API server rejects applies nothing", async () => {
    kube = await startFakeKubeApi({ snapshot: cluster(), fail: [{ verb: "patch", resource: "deployments", dryRun: true, status: 422, message: "spec.template: Invalid value" }] });
    const applier = new FixApplier(kube.kubeConfig());
    const outcome = await applier.applyFix({ objects: FIX, preconditions: await versions(kube), approver: "U0APPROVER", threadLink: "https://fake/thread", now: new Date() });
    expect(outcome).toMatchObject({ kind: "refused" });
    expect(kube.requests.filter((r) => r.verb === "patch" && !r.dryRun)).toHaveLength(0);
  });

  it("an object created since the suggestion is refused; an object that was absent is deleted on rollback", async () => {
    kube = await startFakeKubeApi({ snapshot: cluster() });
    const applier = new FixApplier(kube.kubeConfig());
    const policy = { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "report-permissive-8080", namespace: "legacy" }, spec: { selector: { matchLabels: { app: "report" } }, portLevelMtls: { "8080": { mode: "PERMISSIVE" } } } };
    const applied = await applier.applyFix({ objects: [policy], preconditions: [{ target: "PeerAuthentication legacy/report-permissive-8080", resourceVersion: "absent" }], approver: "U0A", threadLink: "x", now: new Date() });
    expect(applied.kind).toBe("applied");
    const again = await applier.applyFix({ objects: [policy], preconditions: [{ target: "PeerAuthentication legacy/report-permissive-8080", resourceVersion: "absent" }], approver: "U0A", threadLink: "x", now: new Date() });
    expect(again).toMatchObject({ kind: "refused", reason: expect.stringMatching(/was created since/) });
    if (applied.kind !== "applied") return;
    const undone = await applier.restore([policy], applied.prior);
    expect(undone.kind).toBe("rolled-back");
    expect(kube.getObject("PeerAuthentication", "legacy", "report-permissive-8080")).toBeUndefined();
  });
});
