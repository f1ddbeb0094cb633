import { Writable } from "node:stream";
import path from "node:path";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { inputsOf } from "../../src/checks/registry.js";
import { serve } from "../../src/serve.js";
import type { Collector } from "../../src/worker/diagnose-processor.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { freePort, startTestRedis, type TestRedis } from "../support/redis-server.js";

export const DEMO_SNAPSHOT = path.resolve("examples/demo");
export const CHANNEL = "C0MTLS0001";
export const SIGNING_SECRET = "test-signing-secret-0123456789";
export const BOT_TOKEN = "xoxb-test-token-0123456789";
export const APP_TOKEN = "xapp-1-test-app-token-0123456789";

export interface Pipeline {
  redis: TestRedis;
  slack: FakeSlack;
  kube: FakeKubeApi;
  /** The bot's HTTP port (Slack requests go to /slack/events). */
  port: number;
  opsPort: number;
  logs: string[];
  stop(): Promise<number>;
}

export interface PipelineOptions {
  socketMode?: boolean;
  snapshot?: string;
  env?: Record<string, string>;
  /** Reuse running fakes (e.g. a second process against the same Redis). */
  redis?: TestRedis;
  slack?: FakeSlack;
}

/**
 * The real processes (`mtls-doctor all`: Bolt app, BullMQ worker, ops server) against the fakes at the
 * network edge: a private redis-server, the fake Slack Web API, and the fake Kubernetes API server.
 */
export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const redis = options.redis ?? (await startTestRedis());
  const slack = options.slack ?? (await startFakeSlack({ channels: [{ id: CHANNEL, name: "mesh" }] }));
  const kube = await startFakeKubeApi({ snapshot: options.snapshot ?? DEMO_SNAPSHOT });
  const port = await freePort();
  const metricsPort = await freePort();
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString("utf8"));
      done();
    },
  });
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    REDIS_URL: redis.url,
    CLUSTER_NAME: "prod",
    LOG_LEVEL: "debug",
    ...(options.socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
    ...options.env,
  };
  const kc = kube.kubeConfig();
  const inputs = inputsOf();
  const collect: Collector = (request, onProgress) => collectLive(kc, planForRequest(request, inputs), { onProgress, istioctl: null });
  let stop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  let opsPort = 0;
  let exited: Promise<number> = Promise.resolve(0);
  await new Promise<void>((resolve, reject) => {
    const running = serve("all", { env, logDestination, collect, stopSignal, onReady: (info) => ((opsPort = info.opsPort), resolve()) });
    running.then((code) => reject(new Error(`serve exited early with ${code}: ${logs.join("")}`)), reject);
    exited = running;
  });
  return {
    redis,
    slack,
    kube,
    port,
    opsPort,
    logs,
    async stop() {
      stop();
      const code = await exited;
      await kube.close();
      if (!options.slack) await slack.close();
      if (!options.redis) await redis.close();
      return code;
    },
  };
}
