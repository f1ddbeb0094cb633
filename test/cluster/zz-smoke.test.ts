import { test } from "vitest";
import { startFakeKubeApi } from "../../test/support/fake-kube-api.js";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { INPUTS } from "../../src/cluster/snapshot.js";

test("smoke", async () => {
  const fake = await startFakeKubeApi({ snapshot: "/work/shared/scenarios/09-healthy-mesh/snapshot" });
  const plan = planForRequest({ mode: "check", target: { service: "recommendations", namespace: "recs" }, from: { name: "storefront-web", namespace: "web" }, now: new Date() }, new Set(INPUTS));
  const t0 = Date.now();
  const snap = await collectLive(fake.kubeConfig(), plan, { istioctl: null, onProgress: (m) => console.log(m) });
  console.log(Date.now() - t0, "ms");
  console.log(snap.unavailable, snap.notes);
  console.log([...snap.proxies].map(([k, v]) => [k, typeof v.configDump, v.log?.length]));
  console.log(fake.requests.length, fake.requests.map((r) => `${r.verb} ${r.resource} ${r.namespace ?? ""} ${r.query.labelSelector ?? ""} ${r.status}`).join("\n"));
  console.log(snap.namespaces.map((n) => n.metadata?.name), snap.pods.map((p) => p.metadata?.name));
  await fake.close();
});
