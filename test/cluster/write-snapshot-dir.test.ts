import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { captureSnapshot } from "../../src/cluster/capture-snapshot.js";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { createIstioctlRunner } from "../../src/cluster/istioctl.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { REDACTED } from "../../src/cluster/redact.js";
import { applySnapshotInfo, readSnapshotInfo, SNAPSHOT_INFO_FILE } from "../../src/cluster/snapshot-info.js";
import { emptySnapshot, INPUTS, type ClusterSnapshot } from "../../src/cluster/snapshot.js";
import { SnapshotWriteError, writeSnapshotDir } from "../../src/cluster/write-snapshot-dir.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { fakeIstioctlEnv, prepareFakeIstioctlBin, type FakeIstioctlBin } from "../support/fake-istioctl.js";
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";
import { keysOf, objectsOf } from "./object-keys.js";
import { syntheticPod } from "./synthetic-cluster.js";

const SCENARIO = path.join(SHARED_DIR, "scenarios", "09-healthy-mesh", "snapshot");
const NOW = new Date("2026-11-27T12:00:00Z");
const TARGET_POD = "recs/recommendations-qbmtpxv7p-qrp7h";

const PEM_KEY = ["-----BEGIN PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", "-----END PRIVATE KEY-----"].join("\n");
const PEM_KEY_B64 = Buffer.from(PEM_KEY).toString("base64");

let scratch: string;
let bin: FakeIstioctlBin;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "write-snapshot-"));
  bin = await prepareFakeIstioctlBin();
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await bin.cleanup();
});

let fake: FakeKubeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Every file under a directory, as text. */
async function allText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(path.join(e.parentPath, e.name), "utf8")));
  return texts.join("\n");
}

/** Scenario 09 with key material planted where a careless capture would copy it. */
async function scenarioWithSecrets(): Promise<ClusterSnapshot> {
  const snapshot = await loadSnapshotDir(SCENARIO);
  const data = snapshot.proxies.get(TARGET_POD);
  const dump = data?.configDump as { configs: unknown[] };
  dump.configs.push({
    "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
    dynamic_active_secrets: [
      {
        name: "planted",
        secret: {
          name: "planted",
          tls_certificate: { certificate_chain: { inline_bytes: "Y2VydA==" }, private_key: { inline_bytes: PEM_KEY_B64 } },
        },
      },
    ],
  });
  if (data) data.log = `${data.log ?? ""}leaked ${PEM_KEY}\n`;
  const istio = snapshot.configMaps.find((c) => c.metadata?.name === "istio");
  if (istio?.metadata) istio.metadata.annotations = { ...istio.metadata.annotations, note: PEM_KEY };
  const pod = snapshot.pods[0];
  if (pod?.metadata) pod.metadata.managedFields = [{ manager: "kubectl", operation: "Update" }];
  return snapshot;
}

describe.skipIf(!sharedAvailable("the snapshot round trip over scenario 09"))("writing a snapshot directory", () => {
  const request: DiagnoseRequest = {
    mode: "check",
    target: { service: "recommendations", namespace: "recs" },
    from: { name: "storefront-web", namespace: "web" },
    now: NOW,
  };

  test("what is written loads back as the same objects, proxies and report, without key material", async () => {
    fake = await startFakeKubeApi({ snapshot: await scenarioWithSecrets() });
    const istioctl = createIstioctlRunner({ binary: bin.istioctl, env: { ...process.env, ...fakeIstioctlEnv({ snapshotDir: SCENARIO }) } });
    const collected = await collectLive(fake.kubeConfig(), planForRequest(request, new Set(INPUTS)), { istioctl });
    const dir = path.join(scratch, "round-trip");
    const { files } = await writeSnapshotDir(collected, dir);
    expect(files).toContain("pods.yaml");
    expect(files).toContain(`proxies/${TARGET_POD}/config_dump.json`);
    expect(files.filter((f) => f.startsWith("proxy-status."))).toHaveLength(1);
    expect(files).toContain(SNAPSHOT_INFO_FILE);

    const reloaded = await loadSnapshotDir(dir);
    const info = await readSnapshotInfo(dir);
    expect(info).toBeDefined();
    if (info) applySnapshotInfo(reloaded, info);

    expect(keysOf(reloaded)).toEqual(keysOf(collected));
    const byKey = new Map(objectsOf(collected).map((o) => [`${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`, o]));
    for (const obj of objectsOf(reloaded)) {
      if (obj.kind === "ConfigMap" && obj.metadata?.name === "istio") continue;
      expect(obj).toEqual(byKey.get(`${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`));
    }
    expect(reloaded.proxyStatus).toEqual(collected.proxyStatus);
    expect(reloaded.unavailable).toEqual(collected.unavailable);
    expect([...reloaded.proxies.keys()].sort()).toEqual([...collected.proxies.keys()].sort());

    const text = await allText(dir);
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain(PEM_KEY_B64);
    expect(text).not.toContain("managedFields");
    expect(text).not.toMatch(/kind: Secret\b/);
    expect(JSON.stringify(reloaded.proxies.get(TARGET_POD)?.configDump)).toContain(`"private_key":{"inline_bytes":"${REDACTED}"}`);
    expect(reloaded.proxies.get(TARGET_POD)?.log).toContain(`leaked ${REDACTED}`);

    const strip = (r: ReturnType<typeof diagnose>) => JSON.parse(JSON.stringify(r)) as unknown;
    expect(strip(diagnose(reloaded, request))).toEqual(strip(diagnose(collected, request)));
  });

  test("unavailable inputs are recorded, so that a check over the directory skips for the same reason", async () => {
    const snapshot = emptySnapshot();
    snapshot.unavailable.configDumps = "cannot create pods/exec of recs/a: forbidden (grant ...)";
    snapshot.analyzeMessages = [{ code: "IST0102", level: "Warning", message: "not injected", resource: "Namespace bar" }];
    const dir = path.join(scratch, "info");
    await writeSnapshotDir(snapshot, dir, { info: { capturedAt: "2026-11-27T12:00:00.000Z", namespaces: ["recs"], notes: ["a note"] } });
    const info = await readSnapshotInfo(dir);
    expect(info).toMatchObject({
      kind: "MtlsDoctorSnapshotInfo",
      capturedAt: "2026-11-27T12:00:00.000Z",
      namespaces: ["recs"],
      notes: ["a note"],
      unavailable: { configDumps: "cannot create pods/exec of recs/a: forbidden (grant ...)" },
    });
    const loaded = await loadSnapshotDir(dir);
    expect(loaded.unavailable).toEqual({});
    if (info) applySnapshotInfo(loaded, info);
    expect(loaded.unavailable.configDumps).toMatch(/forbidden/);
    expect(loaded.analyzeMessages).toEqual(snapshot.analyzeMessages);
  });

  test("proxy status without istioctl's text is written as a table that loads back", async () => {
    const snapshot = emptySnapshot();
    snapshot.proxyStatus = [
      { pod: "recs/a-1", cluster: "Kubernetes", istiod: "istiod-1", version: "1.26.4", types: { CDS: "SYNCED", LDS: "STALE", EDS: "NOT SENT", RDS: "SYNCED" } },
    ];
    const dir = path.join(scratch, "status-table");
    await writeSnapshotDir(snapshot, dir);
    const reloaded = await loadSnapshotDir(dir);
    expect(reloaded.proxyStatus?.[0]).toMatchObject({ pod: "recs/a-1", types: { CDS: "SYNCED", LDS: "STALE", EDS: "NOT SENT", RDS: "SYNCED" } });
  });

  test("refuses a directory that is not empty", async () => {
    const dir = path.join(scratch, "busy");
    await writeSnapshotDir(emptySnapshot(), dir);
    await expect(writeSnapshotDir(emptySnapshot(), dir)).rejects.toThrow(SnapshotWriteError);
    await expect(writeSnapshotDir(emptySnapshot(), dir)).rejects.toThrow(/is not empty: choose a new directory/);
  });

  test("proxy keys that are not pod names never become paths", async () => {
    const snapshot = emptySnapshot();
    snapshot.proxies.set("../../etc/passwd", { log: "x" });
    const dir = path.join(scratch, "unsafe");
    const { files } = await writeSnapshotDir(snapshot, dir);
    expect(files).toEqual([SNAPSHOT_INFO_FILE]);
    expect((await readSnapshotInfo(dir))?.notes.join("\n")).toMatch(/not valid pod names/);
  });
});

describe.skipIf(!sharedAvailable("capturing scenario 09"))("mtls-doctor snapshot", () => {
  test("captures the namespaces with every input, writes them, and loads back with the same scan report", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const lines: string[] = [];
    const outDir = path.join(scratch, "capture");
    const result = await captureSnapshot({
      kc: fake.kubeConfig(),
      namespaces: ["recs", "web"],
      outDir,
      progress: (line) => lines.push(line),
      istioctl: null,
      now: () => NOW,
    });
    expect(lines[0]).toBe(`capturing recs, web, istio-system from ${fake.url}`);
    expect(lines.at(-1)).toBe(`wrote ${result.files.length} files to ${outDir}`);
    expect(lines).toContain(`not captured: proxyStatus: ${result.snapshot.unavailable.proxyStatus}`);

    const reloaded = await loadSnapshotDir(outDir);
    const info = await readSnapshotInfo(outDir);
    expect(info).toMatchObject({ capturedAt: NOW.toISOString(), namespaces: ["recs", "web"], cluster: { context: "fake", server: fake.url } });
    if (info) applySnapshotInfo(reloaded, info);
    expect(keysOf(reloaded)).toEqual(keysOf(result.snapshot));
    const scan: DiagnoseRequest = { mode: "scan", namespaces: ["recs", "web"], now: NOW };
    expect(JSON.parse(JSON.stringify(diagnose(reloaded, scan)))).toEqual(JSON.parse(JSON.stringify(diagnose(result.snapshot, scan))));
    expect(await allText(outDir)).not.toContain("fake-token");
  });

  test("refuses a directory that is not empty before reading the cluster", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const outDir = path.join(scratch, "occupied");
    await writeSnapshotDir(emptySnapshot(), outDir);
    await writeFile(path.join(outDir, "other.yaml"), "kind: Pod\n");
    await expect(captureSnapshot({ kc: fake.kubeConfig(), namespaces: ["recs"], outDir, progress: false, istioctl: null })).rejects.toThrow(
      /is not empty/,
    );
    expect(fake.requests).toEqual([]);
  });

  test("progress goes to stderr only when it is a terminal", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    const wasTty = process.stderr.isTTY;
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      process.stderr.isTTY = false;
      await captureSnapshot({ kc: fake.kubeConfig(), namespaces: ["recs"], outDir: path.join(scratch, "quiet"), istioctl: null });
      expect(written.filter((w) => w.startsWith("mtls-doctor snapshot:"))).toEqual([]);
      process.stderr.isTTY = true;
      await captureSnapshot({ kc: fake.kubeConfig(), namespaces: ["recs"], outDir: path.join(scratch, "loud"), istioctl: null });
      expect(written.filter((w) => w.startsWith("mtls-doctor snapshot:")).length).toBeGreaterThan(2);
    } finally {
      process.stderr.write = original;
      process.stderr.isTTY = wasTty;
    }
  });
});

test("a large List is written as JSON, which loads back the same", async () => {
  const snapshot = emptySnapshot();
  for (let i = 0; i < 1_200; i++) snapshot.pods.push(syntheticPod("big", "app", "5d8f7c9b4", i));
  const dir = path.join(scratch, "large");
  const { files } = await writeSnapshotDir(snapshot, dir);
  expect(files).toEqual(["pods.json", SNAPSHOT_INFO_FILE]);
  expect((await loadSnapshotDir(dir)).pods).toEqual(snapshot.pods.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "")));
});
