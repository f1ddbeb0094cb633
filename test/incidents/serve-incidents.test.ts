import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { inputsOf } from "../../src/checks/registry.js";
import { serve } from "../../src/serve.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { freePort, startTestRedis, type TestRedis } from "../support/redis-server.js";
import { BOT_TOKEN, DEMO_SNAPSHOT, eventually, INCIDENT_CHANNEL } from "./incident-harness.js";

let redis: TestRedis;
let slack: FakeSlack;
let kube: FakeKubeApi;

beforeAll(async () => {
  redis = await startTestRedis();
  slack = await startFakeSlack({ channels: [{ id: INCIDENT_CHANNEL }] });
  kube = await startFakeKubeApi({ snapshot: DEMO_SNAPSHOT });
});

afterAll(async () => {
  await kube.close();
  await slack.close();
  await redis.close();
});

describe("mtls-doctor worker with INCIDENT_CHANNEL", () => {
  it("scans on its schedule and announces in the incident channel, without any command", async () => {
    const kc = kube.kubeConfig();
    const inputs = inputsOf();
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const exited = serve("worker", {
      env: {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: redis.url,
        CLUSTER_NAME: "prod",
        INCIDENT_CHANNEL,
        SCAN_INTERVAL_MINUTES: "0.01",
        METRICS_PORT: String(await freePort()),
        LOG_LEVEL: "silent",
      },
      kubeConfig: kc,
      collect: (request, onProgress) => collectLive(kc, planForRequest(request, inputs), { onProgress, istioctl: null }),
      stopSignal,
    });
    try {
      const announcement = await slack.waitFor((calls) => calls.find((c) => c.method === "chat.postMessage" && c.body["channel"] === INCIDENT_CHANNEL && c.status === 200), 15_000);
      expect(String(announcement.body["text"])).toContain("MTLS203");
      // The policy watch runs too.
      await eventually("the policy watch", () => kube.requests.some((r) => r.verb === "watch" && r.resource === "peerauthentications"), 5_000);
    } finally {
      stop();
      expect(await exited).toBe(0);
    }
  });
});
