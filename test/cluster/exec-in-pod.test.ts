import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { execInPod, type ExecInPodOptions } from "../../src/cluster/exec-in-pod.js";
import { KubeApiError } from "../../src/cluster/kube-client.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";

const SCENARIO = path.join(SHARED_DIR, "scenarios", "09-healthy-mesh", "snapshot");
const CONFIG_DUMP: Omit<ExecInPodOptions, "pod"> = {
  namespace: "recs",
  container: "istio-proxy",
  command: ["pilot-agent", "request", "GET", "config_dump"],
  timeoutMs: 5_000,
  maxBytes: 64 * 1024 * 1024,
};

describe.skipIf(!sharedAvailable("exec against scenario 09"))("exec into istio-proxy", () => {
  let fake: FakeKubeApi | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  test("returns the command's output, reassembled from the stream's chunks", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const { stdout } = await execInPod(fake.kubeConfig(), { ...CONFIG_DUMP, pod: "recommendations-qbmtpxv7p-qrp7h" });
    expect(JSON.parse(stdout)).toHaveProperty("configs");
  });

  test("a non-zero exit carries the command's stderr", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const error = await execInPod(fake.kubeConfig(), { ...CONFIG_DUMP, pod: "recommendations-qbmtpxv7p-hw4ws" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as Error).message).toMatch(
      /^pilot-agent request GET config_dump in recs\/recommendations-qbmtpxv7p-hw4ws \(container istio-proxy\) failed: Error: failure running request: .*connection refused/,
    );
  });

  test("forbidden says what to grant", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, forbid: [{ verb: "exec" }] });
    const error = await execInPod(fake.kubeConfig(), { ...CONFIG_DUMP, pod: "recommendations-qbmtpxv7p-qrp7h" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "forbidden", status: 403 });
    expect((error as Error).message).toBe(
      'cannot create pods/exec of recs/recommendations-qbmtpxv7p-qrp7h: forbidden (grant the mtls-doctor ServiceAccount, or your user, "create" on pods/exec in namespace recs)',
    );
  });

  test("output over the limit stops the command", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const error = await execInPod(fake.kubeConfig(), { ...CONFIG_DUMP, pod: "recommendations-qbmtpxv7p-qrp7h", maxBytes: 1_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "too-large" });
    expect((error as Error).message).toMatch(/the output of pilot-agent request GET config_dump is over 1000 bytes/);
  });

  test("a stalled exec times out", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, latencyMs: 1_000 });
    const started = Date.now();
    const error = await execInPod(fake.kubeConfig(), { ...CONFIG_DUMP, pod: "recommendations-qbmtpxv7p-qrp7h", timeoutMs: 100 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(900);
    expect((error as Error).message).toBe(
      "cannot create pods/exec of recs/recommendations-qbmtpxv7p-qrp7h: no answer within 0.1 s (check that the API server is reachable and not overloaded, then retry)",
    );
  });
});
