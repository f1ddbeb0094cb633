import { afterEach, describe, expect, it } from "vitest";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { inputsOf } from "../../src/checks/registry.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { SOURCE, TARGET, syntheticCluster } from "./synthetic-cluster.js";

let kube: FakeKubeApi | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

const NOW = new Date("2026-11-27T12:00:00Z");

async function run(from: { name: string; namespace: string }) {
  kube = await startFakeKubeApi({ snapshot: syntheticCluster({ namespaces: 5 }) });
  const request: DiagnoseRequest = { mode: "check", target: { ...TARGET }, from, now: NOW };
  const snapshot = await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl: null });
  const sourceRequests = kube.requests.filter((r) => r.namespace === from.namespace && r.verb !== "exec" && r.verb !== "log");
  return { report: diagnose(snapshot, request), sourceRequests };
}

describe("collecting a --from client in another namespace", () => {
  it("finds a Deployment by name without listing the namespace", async () => {
    const { report, sourceRequests } = await run({ ...SOURCE });
    expect(report.source).toMatchObject({ kind: "Deployment", name: SOURCE.name, namespace: SOURCE.namespace });
    expect(sourceRequests.filter((r) => r.verb === "list" && r.resource !== "pods" && r.resource !== "destinationrules")).toEqual([]);
  });

  it("lists the namespace only when nothing has that name, so that MTLS902 can suggest the closest", async () => {
    const { report, sourceRequests } = await run({ name: "clinet", namespace: SOURCE.namespace });
    const notFound = report.findings.find((f) => f.code === "MTLS902");
    expect(notFound?.message).toMatch(new RegExp(`did you mean client\\.${SOURCE.namespace}`));
    expect(sourceRequests.some((r) => r.verb === "list" && r.resource === "services")).toBe(true);
  });
});
