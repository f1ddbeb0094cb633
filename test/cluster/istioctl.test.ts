import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import {
  createIstioctlRunner,
  findIstioctl,
  istioctlAnalyze,
  istioctlMissingReason,
  istioctlProxyStatus,
  parseAnalyzeJson,
  runIstioctl,
  type IstioctlRunner,
} from "../../src/cluster/istioctl.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { loadKubeConfig } from "../../src/cluster/kube-client.js";
import { INPUTS } from "../../src/cluster/snapshot.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import {
  fakeIstioctlEnv,
  prepareFakeIstioctlBin,
  readFakeIstioctlLog,
  type FakeIstioctlBin,
  type FakeIstioctlOptions,
} from "../support/fake-istioctl.js";
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";

const SCENARIO = path.join(SHARED_DIR, "scenarios", "09-healthy-mesh", "snapshot");
const NOW = new Date("2026-11-27T12:00:00Z");

let bin: FakeIstioctlBin;
let scratch: string;
beforeAll(async () => {
  bin = await prepareFakeIstioctlBin();
  scratch = await mkdtemp(path.join(tmpdir(), "istioctl-test-"));
});
afterAll(async () => {
  await bin.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

function fakeRunner(options: FakeIstioctlOptions, cluster: { kubeconfig?: string; context?: string } = {}): IstioctlRunner {
  return createIstioctlRunner({ binary: bin.istioctl, env: { ...process.env, ...fakeIstioctlEnv(options) }, ...cluster });
}

describe("finding istioctl", () => {
  test("the first istioctl on PATH", () => {
    expect(findIstioctl({ PATH: bin.pathEnv })).toBe(bin.istioctl);
  });

  test("ISTIOCTL wins over PATH; a path that is not executable finds nothing, and says so", async () => {
    expect(findIstioctl({ PATH: "", ISTIOCTL: bin.istioctl })).toBe(bin.istioctl);
    const notExecutable = path.join(scratch, "istioctl.txt");
    await writeFile(notExecutable, "not a program");
    expect(findIstioctl({ PATH: bin.pathEnv, ISTIOCTL: notExecutable })).toBeNull();
    expect(istioctlMissingReason({ ISTIOCTL: notExecutable })).toBe(
      `ISTIOCTL is set to ${notExecutable}, which is not an executable file: fix the path or unset ISTIOCTL`,
    );
  });

  test("none on PATH", () => {
    expect(findIstioctl({ PATH: path.join(scratch, "empty") })).toBeNull();
    expect(istioctlMissingReason({})).toMatch(/^istioctl is not on PATH: install the istioctl that matches the mesh's version/);
  });
});

describe("running istioctl", () => {
  test("a binary that cannot be run is a failure with the reason, never a throw", async () => {
    const result = await runIstioctl(["version"], { binary: path.join(scratch, "missing", "istioctl") });
    expect(result.ok).toBe(false);
    expect(result.failure).toMatch(/cannot be run \(ENOENT\): install istioctl or set ISTIOCTL to its path/);
  });

  test("arguments go as an array, never through a shell", async () => {
    const log = path.join(scratch, "shell.log");
    const marker = path.join(scratch, "pwned");
    const runner = fakeRunner({ snapshotDir: scratch, logFile: log });
    await runner.run(["proxy-config", "all", `web-1;touch ${marker}`, "-o", "json"]);
    expect(existsSync(marker)).toBe(false);
    expect(await readFakeIstioctlLog(log)).toEqual([["proxy-config", "all", `web-1;touch ${marker}`, "-o", "json"]]);
  });

  test("a run that takes too long is stopped with the reason", async () => {
    const runner = fakeRunner({ snapshotDir: scratch, sleepMs: 5_000 });
    const started = Date.now();
    const result = await runner.run(["version"], { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.failure).toBe("istioctl version gave no result within 0.3 s (the mesh may be large or the API server slow: retry)");
  });

  test.skipIf(!sharedAvailable("istioctl output limits over scenario 09"))("output over the limit is refused", async () => {
    const runner = fakeRunner({ snapshotDir: SCENARIO });
    const result = await runner.run(["proxy-config", "all", "recommendations-qbmtpxv7p-qrp7h.recs", "-o", "json"], { maxBytes: 1_000 });
    expect(result.ok).toBe(false);
    expect(result.failure).toMatch(/printed more than 1000 bytes, the limit/);
  });

  test("a non-zero exit carries istioctl's error", async () => {
    const result = await fakeRunner({ snapshotDir: scratch, exitCode: 3 }).run(["proxy-status"]);
    expect(result.failure).toBe("istioctl proxy-status failed (exit 3): Error: fake istioctl told to fail (FAKE_ISTIOCTL_EXIT=3)");
  });

  test("the cluster flags follow the arguments", async () => {
    const log = path.join(scratch, "flags.log");
    await fakeRunner({ snapshotDir: scratch, logFile: log }, { kubeconfig: "/tmp/kc.yaml", context: "prod" }).run(["version"]);
    expect(await readFakeIstioctlLog(log)).toEqual([["version", "--kubeconfig", "/tmp/kc.yaml", "--context", "prod"]]);
  });
});

describe.skipIf(!sharedAvailable("istioctl proxy-status formats over scenario 09"))("istioctl proxy-status", () => {
  test.each(["pre127", "127", "json"] as const)("reads the %s format", async (format) => {
    const result = await istioctlProxyStatus(fakeRunner({ snapshotDir: SCENARIO, proxyStatusFormat: format }));
    expect(result.failure).toBeUndefined();
    expect(result.entries?.map((e) => e.pod).sort()).toEqual([
      "recs/recommendations-qbmtpxv7p-hw4ws",
      "recs/recommendations-qbmtpxv7p-qrp7h",
      "web/storefront-web-wr87spq4c-2dfs4",
      "web/storefront-web-wr87spq4c-kd4p6",
    ]);
    if (format !== "127") expect(result.entries?.[0]?.types["CDS"]).toBe("SYNCED");
  });

  test("falls back to the table when -o json is not known (before 1.30)", async () => {
    const log = path.join(scratch, "fallback.log");
    const oldIstioctl: IstioctlRunner = {
      binary: bin.istioctl,
      run: async (args, options) => {
        if (args.includes("-o")) return { ok: false, stdout: "", stderr: "Error: unknown shorthand flag: 'o' in -o\n", failure: "unknown flag" };
        return fakeRunner({ snapshotDir: SCENARIO, logFile: log }).run(args, options);
      },
    };
    const result = await istioctlProxyStatus(oldIstioctl);
    expect(result.entries).toHaveLength(4);
    expect(result.text).toMatch(/^NAME\s+CLUSTER\s+CDS/);
  });
});

describe("istioctl analyze", () => {
  const UPSTREAM = [
    { code: "IST0102", level: "Warning", message: "The namespace is not enabled for Istio injection.", origin: "Namespace bar", documentationUrl: "https://istio.io/latest/docs/reference/config/analysis/ist0102/" },
    { code: "IST0103", level: "Warning", message: "The pod is missing the Istio proxy.", origin: "Pod noninjectedpod.default", reference: "injection.yaml:12" },
    { code: "IST0101", level: "Error", message: 'Referenced namespace not found: "bogus"', origin: "AuthorizationPolicy httpbin-bogus-ns.httpbin" },
    { code: "IST0001", level: "Error", message: "Internal error: boom" },
  ];

  test("parses istioctl's JSON, naming resources as findings do", () => {
    expect(parseAnalyzeJson(JSON.stringify(UPSTREAM))).toEqual([
      { code: "IST0102", level: "Warning", message: "The namespace is not enabled for Istio injection.", resource: "Namespace bar" },
      { code: "IST0103", level: "Warning", message: "The pod is missing the Istio proxy.", resource: "Pod default/noninjectedpod" },
      { code: "IST0101", level: "Error", message: 'Referenced namespace not found: "bogus"', resource: "AuthorizationPolicy httpbin/httpbin-bogus-ns" },
      { code: "IST0001", level: "Error", message: "Internal error: boom" },
    ]);
    expect(parseAnalyzeJson("")).toEqual([]);
    expect(parseAnalyzeJson("[]")).toEqual([]);
  });

  test("runs per namespace; errors found (exit 79) still give the messages", async () => {
    const dir = await mkdtemp(path.join(scratch, "analyze-"));
    await writeFile(path.join(dir, "istioctl-analyze.json"), JSON.stringify(UPSTREAM));
    const log = path.join(dir, "argv.log");
    const result = await istioctlAnalyze(fakeRunner({ snapshotDir: dir, logFile: log }), ["default", "httpbin"]);
    expect(result.failure).toBeUndefined();
    expect(result.messages).toHaveLength(4);
    expect((await readFakeIstioctlLog(log)).sort()).toEqual([
      ["analyze", "--namespace", "default", "-o", "json"],
      ["analyze", "--namespace", "httpbin", "-o", "json"],
    ]);
  });
});

describe.skipIf(!sharedAvailable("the istioctl fallback over scenario 09"))("collecting with istioctl", () => {
  let fake: FakeKubeApi | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const plan = planForRequest(
    { mode: "check", target: { service: "recommendations", namespace: "recs" }, from: { name: "storefront-web", namespace: "web" }, now: NOW },
    new Set(INPUTS),
  );

  test("exec forbidden: config dumps come through istioctl proxy-config; proxy-status and analyze are read", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, forbid: [{ verb: "exec" }] });
    const log = path.join(scratch, "collect.log");
    const loaded = await loadSnapshotDir(SCENARIO);
    const collected = await collectLive(fake.kubeConfig(), plan, {
      istioctl: fakeRunner({ snapshotDir: SCENARIO, logFile: log, proxyStatusFormat: "json" }),
    });
    for (const [key, data] of loaded.proxies) expect(collected.proxies.get(key)?.configDump, key).toEqual(data.configDump);
    expect(collected.unavailable.configDumps).toBeUndefined();
    expect(collected.proxyStatus?.map((e) => e.pod)).toHaveLength(4);
    expect(collected.proxyStatusText).toMatch(/^\{/);
    expect(collected.analyzeMessages).toEqual([]);
    const argv = await readFakeIstioctlLog(log);
    expect(argv).toContainEqual(["proxy-config", "all", "recommendations-qbmtpxv7p-qrp7h.recs", "-o", "json"]);
    expect(argv).toContainEqual(["proxy-status", "-o", "json"]);
    expect(argv).toContainEqual(["analyze", "--namespace", "recs", "-o", "json"]);
    expect(argv).toContainEqual(["analyze", "--namespace", "web", "-o", "json"]);
  });

  test("exec forbidden and istioctl failing too: the reason names both", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, forbid: [{ verb: "exec" }] });
    const collected = await collectLive(fake.kubeConfig(), plan, { istioctl: fakeRunner({ snapshotDir: SCENARIO, exitCode: 1 }) });
    expect(collected.unavailable.configDumps).toMatch(/forbidden .*; the istioctl fallback failed too: istioctl proxy-config all .* failed \(exit 1\)/);
    expect(collected.unavailable.proxyStatus).toBe(
      "istioctl proxy-status failed (exit 1): Error: fake istioctl told to fail (FAKE_ISTIOCTL_EXIT=1)",
    );
  });

  test("by default the istioctl found (ISTIOCTL) reads the kubeconfig file and context the collector reads", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const kubeconfig = path.join(scratch, "fake-kubeconfig.yaml");
    await writeFile(kubeconfig, fake.kubeconfigYaml());
    const log = path.join(scratch, "default-runner.log");
    const saved = { ...process.env };
    Object.assign(process.env, { ISTIOCTL: bin.istioctl }, fakeIstioctlEnv({ snapshotDir: SCENARIO, logFile: log }));
    try {
      const kc = loadKubeConfig({ kubeconfig, context: "fake" }, {});
      const collected = await collectLive(kc, planForRequest({ mode: "check", target: { service: "recommendations", namespace: "recs" }, now: NOW }, new Set(["proxyStatus"])));
      expect(collected.proxyStatus?.length).toBeGreaterThan(0);
    } finally {
      process.env = saved;
    }
    const argv = await readFakeIstioctlLog(log);
    expect(argv[0]).toEqual(["proxy-status", "-o", "json", "--kubeconfig", kubeconfig, "--context", "fake"]);
  });

  test("no istioctl: the checks that need it are skipped with the reason", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const collected = await collectLive(fake.kubeConfig(), plan, { istioctl: null });
    expect(collected.unavailable.proxyStatus).toBe(istioctlMissingReason({}));
    expect(collected.unavailable.istioctlAnalyze).toBe(istioctlMissingReason({}));
    expect(collected.proxyStatus).toBeUndefined();
  });
});
