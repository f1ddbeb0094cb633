import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseProxyStatus } from "../../src/proxy/proxy-status.js";
import { fakeIstioctlEnv, prepareFakeIstioctlBin, readFakeIstioctlLog, type FakeIstioctlBin, type FakeIstioctlOptions } from "./fake-istioctl.js";

const PROXY_STATUS = [
  "NAME                    CLUSTER        CDS                LDS                EDS                RDS                ECDS         ISTIOD            VERSION",
  "api-1.shop              Kubernetes     SYNCED (1m2s)      SYNCED (1m2s)      SYNCED (1m2s)      SYNCED (1m2s)      NOT SENT     istiod-abc-123    1.26.4",
  "web-1.shop              Kubernetes     STALE (3s)         SYNCED (3m40s)     SYNCED (3m40s)     NOT SENT           NOT SENT     istiod-abc-123    1.26.4",
  "",
].join("\n");
const CONFIG_DUMP = { configs: [{ "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump", dynamic_active_secrets: [] }] };
const ANALYZE = [{ code: "IST0103", level: "Error", message: "The pod shop/batch-1 is missing the Istio proxy.", origin: "Pod shop/batch-1" }];

describe("fake istioctl", () => {
  let dir: string;
  let bin: FakeIstioctlBin;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "fake-istioctl-test-"));
    await mkdir(path.join(dir, "proxies/shop/web-1"), { recursive: true });
    await writeFile(path.join(dir, "proxy-status.txt"), PROXY_STATUS);
    await writeFile(path.join(dir, "proxies/shop/web-1/config_dump.json"), JSON.stringify(CONFIG_DUMP));
    bin = await prepareFakeIstioctlBin();
  });

  afterAll(async () => {
    await bin.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const istioctl = (args: string[], options: FakeIstioctlOptions = {}) =>
    execa("istioctl", args, { env: { PATH: bin.pathEnv, ...fakeIstioctlEnv({ snapshotDir: dir, ...options }) }, reject: false });

  test("is found on PATH through the prepared bin directory and logs each argv", async () => {
    const logFile = path.join(dir, "calls.log");
    await istioctl(["version", "--remote=false"], { logFile });
    await istioctl(["proxy-status", "-i", "istio-system"], { logFile });
    expect(await readFakeIstioctlLog(logFile)).toEqual([
      ["version", "--remote=false"],
      ["proxy-status", "-i", "istio-system"],
    ]);
  });

  test("proxy-status prints the file, or the same data in the pre-1.27, 1.27 or JSON format", async () => {
    expect((await istioctl(["proxy-status"])).stdout).toBe(PROXY_STATUS.trimEnd());

    const pre127 = await istioctl(["proxy-status"], { proxyStatusFormat: "pre127" });
    expect(parseProxyStatus(pre127.stdout)).toEqual(parseProxyStatus(PROXY_STATUS));

    const v127 = (await istioctl(["proxy-status"], { proxyStatusFormat: "127" })).stdout.split("\n");
    expect(v127[0]).toMatch(/^NAME\s+CLUSTER\s+ISTIOD\s+VERSION\s+SUBSCRIBED TYPES$/);
    expect(v127[1]).toMatch(/^api-1\.shop\s+Kubernetes\s+istiod-abc-123\s+1\.26\.4\s+4 \(CDS,LDS,EDS,RDS\)$/);
    expect(v127[2]).toMatch(/3 \(CDS,LDS,EDS\)$/);

    const json = JSON.parse((await istioctl(["proxy-status", "-o", "json"])).stdout) as {
      resources: { node: { id: string }; genericXdsConfigs: { typeUrl: string; configStatus: string }[] }[];
    };
    expect(json.resources.map((r) => r.node.id)).toEqual(["api-1.shop", "web-1.shop"]);
    expect(json.resources[1]?.genericXdsConfigs.find((c) => c.typeUrl.endsWith("Cluster"))?.configStatus).toBe("STALE");
    expect(json.resources[1]?.genericXdsConfigs.find((c) => c.typeUrl.endsWith("RouteConfiguration"))?.configStatus).toBe("NOT_SENT");
  });

  test("proxy-config prints the pod's config dump, or fails like istioctl when there is none", async () => {
    for (const args of [["proxy-config", "secret", "web-1.shop", "-o", "json"], ["pc", "all", "web-1", "-n", "shop", "-o", "json"]]) {
      const found = await istioctl(args);
      expect(found.exitCode).toBe(0);
      expect(JSON.parse(found.stdout)).toEqual(CONFIG_DUMP);
    }
    const missing = await istioctl(["proxy-config", "cluster", "api-1.shop", "-o", "json"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toMatch(/^Error: failed to execute command on sidecar: .*api-1/);
  });

  test("analyze prints [] without a file, the file's messages with one (exit 79 on errors, as istioctl)", async () => {
    const empty = await istioctl(["analyze", "-A", "-o", "json"]);
    expect(empty.exitCode).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);

    await writeFile(path.join(dir, "istioctl-analyze.json"), JSON.stringify(ANALYZE));
    const found = await istioctl(["analyze", "-n", "shop", "-o", "json"]);
    await rm(path.join(dir, "istioctl-analyze.json"));
    expect(found.exitCode).toBe(79);
    expect(JSON.parse(found.stdout)).toEqual(ANALYZE);
  });

  test("version answers locally and as JSON", async () => {
    expect((await istioctl(["version", "--remote=false"], { version: "1.27.1" })).stdout).toBe("client version: 1.27.1");
    const json = JSON.parse((await istioctl(["version", "-o", "json"])).stdout) as { clientVersion: { version: string }; meshVersion: unknown[] };
    expect(json.clientVersion.version).toBe("1.26.4");
    expect(json.meshVersion).toHaveLength(1);
  });

  test("FAKE_ISTIOCTL_EXIT forces a failure and FAKE_ISTIOCTL_SLEEP_MS delays the answer", async () => {
    const failed = await istioctl(["version"], { exitCode: 3 });
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toContain("FAKE_ISTIOCTL_EXIT=3");

    const started = performance.now();
    const slow = await istioctl(["version", "--remote=false"], { sleepMs: 300 });
    expect(slow.exitCode).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);

    const timedOut = await execa("istioctl", ["version"], {
      env: { PATH: bin.pathEnv, ...fakeIstioctlEnv({ sleepMs: 5_000 }) },
      timeout: 200,
      reject: false,
    });
    expect(timedOut.timedOut).toBe(true);
  });

  test("an unknown command fails as istioctl's does", async () => {
    const result = await istioctl(["frobnicate"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('unknown command "frobnicate" for "istioctl"');
  });
});
