import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import type { ClusterSnapshot } from "../../src/cluster/snapshot.js";
import { SnapshotView } from "../../src/cluster/snapshot-view.js";
import { certificates, humanDuration } from "../../src/checks/certificates.js";
import { restartWorkloadFix } from "../../src/fixes/restart-workload.js";
import { readSharedJson, SHARED_AVAILABLE, sharedPath } from "../proxy/shared-data.js";
import { app, codesAndResources, NOW, podName, runCheck, snapshotOf, statusOf } from "./check-fixtures.js";

const EXPIRED_POD = "storefront/catalog-lt4qbtdcz-s66t4";
const RECS_POD = "recs/recommendations-qbmtpxv7p-qrp7h";
const WEB_POD = "web/storefront-web-wr87spq4c-2dfs4";

function dumpOf(path: string): unknown {
  return readSharedJson(`scenarios/${path}/config_dump.json`);
}
const expiredDump = () => dumpOf(`04-expired-workload-certificate/snapshot/proxies/${EXPIRED_POD}`);
const recsDump = () => dumpOf(`09-healthy-mesh/snapshot/proxies/${RECS_POD}`);

type Secret = { name: string };
type Dump = { configs: { dynamic_active_secrets?: Secret[] }[] };

/** A dump whose ROOTCA secret is taken from another proxy's dump. */
function withRootsOf(dump: unknown, rootsFrom: unknown): unknown {
  const copy = structuredClone(dump) as Dump;
  const roots = (rootsFrom as Dump).configs.flatMap((c) => c.dynamic_active_secrets ?? []).find((s) => s.name === "ROOTCA");
  for (const section of copy.configs) {
    if (!section.dynamic_active_secrets) continue;
    section.dynamic_active_secrets = section.dynamic_active_secrets.map((s) => (s.name === "ROOTCA" && roots ? structuredClone(roots) : s));
  }
  return copy;
}

async function healthy(): Promise<ClusterSnapshot> {
  return loadSnapshotDir(sharedPath("scenarios/09-healthy-mesh/snapshot"));
}

function healthyCheck(snapshot: ClusterSnapshot, now = NOW) {
  return runCheck(certificates, snapshot, { service: "recommendations", namespace: "recs" }, { from: { name: "storefront-web", namespace: "web" }, now });
}

describe.skipIf(!SHARED_AVAILABLE)("certificates on the scenarios", () => {
  it("reports only the expired certificate of scenario 04, with a restart of its Deployment", async () => {
    const snapshot = await loadSnapshotDir(sharedPath("scenarios/04-expired-workload-certificate/snapshot"));
    const report = runCheck(certificates, snapshot, { service: "catalog", namespace: "storefront" });
    expect(statusOf(report)).toBe("ran");
    expect(codesAndResources(report.findings)).toEqual([`MTLS401 Pod ${EXPIRED_POD}`]);
    const [finding] = report.findings;
    expect(finding?.message).toBe(
      `The workload certificate of pod ${EXPIRED_POD} expired at 2026-11-26T08:16:03Z (serial 328fa8da52b932dac106bd737fec5ea3): certificate rotation has stopped.`,
    );
    expect(finding?.evidence).toContain("URI SANs: spiffe://cluster.local/ns/storefront/sa/catalog");
    expect(finding?.fixes).toHaveLength(1);
    const fix = finding?.fixes[0];
    expect(fix?.risk).toBe("medium");
    expect(fix?.targets).toEqual(["Deployment storefront/catalog"]);
    expect(parse(fix?.yaml ?? "")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "catalog", namespace: "storefront" },
      spec: {
        selector: { matchLabels: { app: "catalog" } },
        template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-27T12:00:00Z" } } },
      },
    });
  });

  it("finds nothing wrong with the healthy mesh's certificates", async () => {
    const report = healthyCheck(await healthy());
    expect(statusOf(report)).toBe("ran");
    expect(report.findings).toEqual([]);
  });

  it("warns of a certificate about to expire and never reports one certificate as both expired and expiring", async () => {
    // 2026-11-28T09:00Z: the target's certificate has 47 minutes left; the source's expired at 02:12.
    const report = healthyCheck(await healthy(), new Date("2026-11-28T09:00:00Z"));
    expect(codesAndResources(report.findings)).toEqual([`MTLS401 Pod ${WEB_POD}`, `MTLS402 Pod ${RECS_POD}`]);
    expect(report.findings[1]?.message).toBe(
      `The workload certificate of pod ${RECS_POD} expires at 2026-11-28T09:47:00Z, in 47m (serial 5125f1f57d99f837760fd126684bf1d7): rotation is failing.`,
    );
  });

  it("honours the warning window", async () => {
    const report = runCheck(certificates, await healthy(), { service: "recommendations", namespace: "recs" }, {
      now: new Date("2026-11-28T09:00:00Z"),
      certificateWarningMs: 10 * 60 * 1000,
    });
    expect(report.findings).toEqual([]);
  });

  it("reports a chain that does not verify against the proxy's own ROOTCA", async () => {
    const snapshot = await healthy();
    snapshot.proxies.set(RECS_POD, { configDump: withRootsOf(recsDump(), expiredDump()) });
    const report = healthyCheck(snapshot);
    // The target's broken trust also means it refuses the source: that is reported on the source pod.
    expect(codesAndResources(report.findings)).toEqual([`MTLS404 Pod ${RECS_POD}`, `MTLS404 Pod ${WEB_POD}`]);
    expect(report.findings[0]?.message).toMatch(/does not verify against its own ROOTCA: the chain ends at root O=cluster\.local \(serial 3699e75f/);
    expect(report.findings[1]?.message).toMatch(/they trust different root CAs: the target does not accept the source's certificate/);
  });

  it("reports source and target proxies that trust different roots, on the source pod", async () => {
    const snapshot = await healthy();
    // The source runs with another mesh's (consistent) certificate and root.
    const foreign = structuredClone(expiredDump());
    snapshot.proxies.set(WEB_POD, { configDump: foreign });
    const report = healthyCheck(snapshot, new Date("2026-11-26T00:00:00Z"));
    const roots = report.findings.filter((f) => f.code === "MTLS404");
    expect(roots.map((f) => f.resource)).toEqual([`Pod ${WEB_POD}`]);
    expect(roots[0]?.message).toMatch(new RegExp(`^Pod ${WEB_POD} \\(source\\) and pod ${RECS_POD} \\(target\\): they trust different root CAs: the target does not accept the source's certificate`));
    // The foreign certificate also names another workload.
    expect(report.findings.some((f) => f.code === "MTLS403" && f.resource === `Pod ${WEB_POD}`)).toBe(true);
  });
});

describe.skipIf(!SHARED_AVAILABLE)("certificate identity (MTLS403)", () => {
  function recsApp(serviceAccount: string) {
    const snapshot = snapshotOf(...app({ namespace: "recs", app: "recommendations", serviceAccount }));
    snapshot.proxies.set(`recs/${podName("recommendations")}`, { configDump: recsDump() });
    return snapshot;
  }

  it("reports a certificate issued for another service account, with the identity expected", () => {
    const report = runCheck(certificates, recsApp("recs-reader"), { service: "recommendations", namespace: "recs" });
    expect(codesAndResources(report.findings)).toEqual([`MTLS403 Pod recs/${podName("recommendations")}`]);
    expect(report.findings[0]?.message).toBe(
      `The workload certificate of pod recs/${podName("recommendations")} identifies spiffe://cluster.local/ns/recs/sa/recommendations, not spiffe://cluster.local/ns/recs/sa/recs-reader.`,
    );
    expect(report.findings[0]?.fixes[0]?.targets).toEqual(["Deployment recs/recommendations"]);
  });

  it("accepts the pod's own identity, and trust domain aliases", () => {
    expect(runCheck(certificates, recsApp("recommendations"), { service: "recommendations", namespace: "recs" }).findings).toEqual([]);
    const aliased = recsApp("recommendations");
    aliased.configMaps.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "istio", namespace: "istio-system" },
      data: { mesh: "trustDomain: prod.acme.example\ntrustDomainAliases:\n- cluster.local\n" },
    });
    expect(runCheck(certificates, aliased, { service: "recommendations", namespace: "recs" }).findings).toEqual([]);
    const renamed = recsApp("recommendations");
    renamed.configMaps.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "istio", namespace: "istio-system" },
      data: { mesh: "trustDomain: prod.acme.example\n" },
    });
    const report = runCheck(certificates, renamed, { service: "recommendations", namespace: "recs" });
    expect(report.findings.map((f) => f.code)).toEqual(["MTLS403"]);
    expect(report.findings[0]?.message).toMatch(/not spiffe:\/\/prod\.acme\.example\/ns\/recs\/sa\/recommendations\.$/);
  });

  it("is skipped when no proxy involved has a config dump", () => {
    const snapshot = snapshotOf(...app({ namespace: "recs", app: "recommendations" }));
    const report = runCheck(certificates, snapshot, { service: "recommendations", namespace: "recs" });
    expect(report.checks[0]?.status).toBe("skipped");
  });
});

describe("restart fix", () => {
  it("restarts the owning StatefulSet directly, and offers nothing for a pod without an owner", () => {
    const snapshot = snapshotOf(
      { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db", namespace: "data" }, spec: { selector: { matchLabels: { app: "db" } } } } as never,
      { apiVersion: "v1", kind: "Pod", metadata: { name: "db-0", namespace: "data", ownerReferences: [{ kind: "StatefulSet", name: "db", controller: true }] } },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "debug", namespace: "data" } },
    );
    const view = new SnapshotView(snapshot);
    const [db, bare] = snapshot.pods;
    const fix = restartWorkloadFix(view, db!, NOW);
    expect(fix?.targets).toEqual(["StatefulSet data/db"]);
    expect(fix?.yaml).toContain("kubectl.kubernetes.io/restartedAt: 2026-11-27T12:00:00Z");
    expect(restartWorkloadFix(view, bare!, NOW)).toBeUndefined();
  });

  it("formats remaining time for people", () => {
    expect(humanDuration(47 * 60 * 1000)).toBe("47m");
    expect(humanDuration((2 * 60 + 5) * 60 * 1000)).toBe("2h 5m");
    expect(humanDuration(30 * 1000)).toBe("30s");
  });
});
