import { describe, expect, it } from "vitest";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import type { ClusterSnapshot } from "../../src/cluster/snapshot.js";
import { envoyConfig } from "../../src/checks/envoy-config.js";
import { SHARED_AVAILABLE, sharedPath } from "../proxy/shared-data.js";
import { app, codesAndResources, runCheck, snapshotOf, statusOf } from "./check-fixtures.js";

const WEB_POD = "web/storefront-web-wr87spq4c-2dfs4";
const CATALOG_POD = "storefront/catalog-lt4qbtdcz-s66t4";

type Json = Record<string, unknown>;
type Dump = { configs: Json[] };

function clustersOf(dump: unknown): Json[] {
  return (dump as Dump).configs.flatMap((c) => ((c["dynamic_active_clusters"] as { cluster: Json }[] | undefined) ?? []).map((e) => e.cluster));
}

function chainsOf(dump: unknown): Json[] {
  return (dump as Dump).configs.flatMap((c) =>
    ((c["dynamic_listeners"] as { active_state: { listener: { filter_chains: Json[] } } }[] | undefined) ?? []).flatMap(
      (l) => l.active_state.listener.filter_chains,
    ),
  );
}

async function healthy(): Promise<ClusterSnapshot> {
  return loadSnapshotDir(sharedPath("scenarios/09-healthy-mesh/snapshot"));
}

function healthyCheck(snapshot: ClusterSnapshot) {
  return runCheck(envoyConfig, snapshot, { service: "recommendations", namespace: "recs" }, { from: { name: "storefront-web", namespace: "web" } });
}

async function expiredScenario(): Promise<ClusterSnapshot> {
  return loadSnapshotDir(sharedPath("scenarios/04-expired-workload-certificate/snapshot"));
}

describe.skipIf(!SHARED_AVAILABLE)("envoy-config on the scenarios", () => {
  it("finds TLS on the source's clusters and client certificates required by the target in the healthy mesh", async () => {
    const report = healthyCheck(await healthy());
    expect(statusOf(report)).toBe("ran");
    expect(report.findings).toEqual([]);
  });

  it("finds the expired-certificate scenario's listener requiring client certificates", async () => {
    const report = runCheck(envoyConfig, await expiredScenario(), { service: "catalog", namespace: "storefront" });
    expect(statusOf(report)).toBe("ran");
    expect(report.findings).toEqual([]);
  });
});

describe.skipIf(!SHARED_AVAILABLE)("client sends plaintext (MTLS601)", () => {
  async function plaintextClient(): Promise<ClusterSnapshot> {
    const snapshot = await healthy();
    const dump = snapshot.proxies.get(WEB_POD)?.configDump;
    const cluster = clustersOf(dump).find((c) => c["name"] === "outbound|80||recommendations.recs.svc.cluster.local");
    delete cluster?.["transport_socket"];
    return snapshot;
  }

  it("reports the source pod whose cluster to a STRICT port has no TLS", async () => {
    const report = healthyCheck(await plaintextClient());
    expect(codesAndResources(report.findings)).toEqual([`MTLS601 Pod ${WEB_POD}`]);
    expect(report.findings[0]?.message).toBe(
      `The proxy of pod ${WEB_POD} sends plaintext to Service recs/recommendations port 80 (cluster outbound|80||recommendations.recs.svc.cluster.local has no TLS transport socket), which is STRICT.`,
    );
    expect(report.findings[0]?.evidence[1]).toBe("Service recs/recommendations port 80 (container port 8080) is STRICT, set by PeerAuthentication recs/default");
  });

  it("stays quiet when the target port accepts plaintext", async () => {
    const snapshot = await plaintextClient();
    for (const pa of snapshot.peerAuthentications) pa.spec = { mtls: { mode: "PERMISSIVE" } };
    expect(healthyCheck(snapshot).findings).toEqual([]);
  });

  it("needs a source: without --from there is no client proxy to look at", async () => {
    const report = runCheck(envoyConfig, await plaintextClient(), { service: "recommendations", namespace: "recs" });
    expect(report.findings).toEqual([]);
  });
});

describe.skipIf(!SHARED_AVAILABLE)("server listener without mTLS (MTLS602)", () => {
  it("reports a STRICT target whose inbound chain for the container port takes plaintext", async () => {
    const snapshot = await expiredScenario();
    const chain = chainsOf(snapshot.proxies.get(CATALOG_POD)?.configDump).find((c) => c["name"] === "0.0.0.0_8080");
    delete chain?.["transport_socket"];
    (chain?.["filter_chain_match"] as Json)["transport_protocol"] = "raw_buffer";
    const report = runCheck(envoyConfig, snapshot, { service: "catalog", namespace: "storefront" });
    expect(codesAndResources(report.findings)).toEqual([`MTLS602 Pod ${CATALOG_POD}`]);
    expect(report.findings[0]?.message).toBe(
      `The proxy of pod ${CATALOG_POD} does not require client certificates on port 8080 although its mode is STRICT: the proxy has not received the policy.`,
    );
    expect(report.findings[0]?.evidence).toContain("listener virtualInbound chain 0.0.0.0_8080 (port): plaintext");
  });

  it("reports a STRICT target still configured PERMISSIVE (mTLS and plaintext chains side by side)", async () => {
    const snapshot = await expiredScenario();
    const dump = snapshot.proxies.get(CATALOG_POD)?.configDump as Dump;
    const listener = (dump.configs.find((c) => c["dynamic_listeners"])?.["dynamic_listeners"] as { active_state: { listener: { filter_chains: Json[] } } }[])[0];
    listener?.active_state.listener.filter_chains.push({ name: "0.0.0.0_8080", filter_chain_match: { destination_port: 8080, transport_protocol: "raw_buffer" } });
    const report = runCheck(envoyConfig, snapshot, { service: "catalog", namespace: "storefront" });
    expect(codesAndResources(report.findings)).toEqual([`MTLS602 Pod ${CATALOG_POD}`]);
    expect(report.findings[0]?.evidence).toContain("the proxy still accepts plaintext on it (PERMISSIVE listener)");
  });
});

describe("envoy-config without config dumps", () => {
  it("is skipped, not silently clean", () => {
    const snapshot = snapshotOf(...app({ namespace: "shop", app: "api" }), ...app({ namespace: "web", app: "web" }));
    const report = runCheck(envoyConfig, snapshot, { service: "api", namespace: "shop" }, { from: { name: "web", namespace: "web" } });
    expect(report.checks[0]?.status).toBe("skipped");
  });
});
