import { Writable } from "node:stream";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { inputsOf } from "../../src/checks/registry.js";
import type { Role } from "../../src/config.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import { diagnoseQueueName } from "../../src/queue/names.js";
import { serve } from "../../src/serve.js";
import type { Collector } from "../../src/worker/diagnose-processor.js";
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiSettings } from "../support/fake-kube-api.js";
import { startFakeSlack, type FakeSlack, type FakeSlackCall } from "../support/fake-slack.js";
import { postToApp, signedSlashCommand, type AppResponse } from "../support/slack-requests.js";
import { freePort, startTestRedis, type TestRedis } from "../support/redis-server.js";

export const DEMO_SNAPSHOT = path.resolve("examples/demo");
export const CHANNEL = "C0MTLS0001";
export const SIGNING_SECRET = "test-signing-secret-0123456789";
export const BOT_TOKEN = "xoxb-test-token-0123456789";
export const APP_TOKEN = "xapp-1-test-app-token-0123456789";
export const QUEUE_PREFIX = "mtls";

export interface Pipeline {
  redis: TestRedis;
  slack: FakeSlack;
  kube: FakeKubeApi;
  /** The bot's HTTP port (Slack requests go to /slack/events). */
  port: number;
  opsPort: number;
  logs: string[];
  /** Every request the worker's collector was asked for, in order (one per job attempt). */
  collected: DiagnoseRequest[];
  /** Resolves with serve's exit code once it returns (after stop(), or early on a failure). */
  exited: Promise<number>;
  /** Signals the process to stop (as SIGTERM would) and resolves with its exit code; the fakes it started are closed. */
  stop(): Promise<number>;
}

export interface PipelineOptions {
  /** Default "all". */
  role?: Role;
  socketMode?: boolean;
  snapshot?: string;
  env?: Record<string, string>;
  /** Latency and faults of the fake Kubernetes API server. */
  kube?: FakeKubeApiSettings;
  /** Reuse running fakes (e.g. a second process against the same Redis); they are left running on stop. */
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
  const kube = await startFakeKubeApi({ snapshot: options.snapshot ?? DEMO_SNAPSHOT, ...options.kube });
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
    QUEUE_PREFIX,
    CLUSTER_NAME: "prod",
    LOG_LEVEL: "debug",
    ...(options.socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
    ...options.env,
  };
  const kc = kube.kubeConfig();
  const inputs = inputsOf();
  const collected: DiagnoseRequest[] = [];
  const collect: Collector = (request, onProgress) => {
    collected.push(request);
    return collectLive(kc, planForRequest(request, inputs), { onProgress, istioctl: null });
  };
  let stop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  let opsPort = 0;
  let exited: Promise<number> = Promise.resolve(0);
  const closeFakes = async () => {
    await kube.close();
    if (!options.slack) await slack.close();
    if (!options.redis) await redis.close();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const running = serve(options.role ?? "all", { env, logDestination, collect, kubeConfig: kc, stopSignal, onReady: (info) => ((opsPort = info.opsPort), resolve()) });
      running.then((code) => reject(new Error(`serve exited early with ${code}: ${logs.join("")}`)), reject);
      exited = running;
    });
  } catch (err) {
    await closeFakes();
    throw err;
  }
  let stopped: Promise<number> | undefined;
  return {
    redis,
    slack,
    kube,
    port,
    opsPort,
    logs,
    collected,
    exited,
    stop() {
      stopped ??= (async () => {
        stop();
        const code = await exited;
        await closeFakes();
        return code;
      })();
      return stopped;
    },
  };
}

export function eventsUrl(pipeline: Pipeline): string {
  return `http://127.0.0.1:${pipeline.port}/slack/events`;
}

export function opsUrl(pipeline: Pipeline, path: string): string {
  return `http://127.0.0.1:${pipeline.opsPort}${path}`;
}

/** Sends `/mtls <text>` to the bot's HTTP receiver, signed as Slack would. */
export function sendCommand(pipeline: Pipeline, text: string, user = "U0REQUEST", channel = CHANNEL): Promise<AppResponse> {
  return postToApp(
    eventsUrl(pipeline),
    signedSlashCommand({ signingSecret: SIGNING_SECRET, text, user_id: user, channel_id: channel, response_url: pipeline.slack.responseUrl() }),
  );
}

export interface EphemeralAnswer {
  response_type?: string;
  text?: string;
  blocks?: unknown[];
}

/**
 * Sends `/mtls <text>` and returns what only the requester sees: the acknowledgement's body when it
 * carries one (bad input, help), else the first reply to the command's response_url (what needed
 * Redis: clusters, no worker, Redis down), with the time from sending to that answer.
 */
export async function ephemeralAnswer(pipeline: Pipeline, text: string, user = "U0REQUEST"): Promise<{ status: number; answer: EphemeralAnswer; ms: number }> {
  const started = Date.now();
  const responseUrl = pipeline.slack.responseUrl();
  const response = await postToApp(eventsUrl(pipeline), signedSlashCommand({ signingSecret: SIGNING_SECRET, text, user_id: user, channel_id: CHANNEL, response_url: responseUrl }));
  if (response.body !== "") return { status: response.status, answer: JSON.parse(response.body) as EphemeralAnswer, ms: Date.now() - started };
  const [reply] = await pipeline.slack.waitFor(() => {
    const found = pipeline.slack.responses(responseUrl);
    return found.length > 0 ? found : undefined;
  });
  return { status: response.status, answer: reply?.body as EphemeralAnswer, ms: (reply?.at ?? Date.now()) - started };
}

/** The parent message a command created (a top-level chat.postMessage in the channel), the n-th one (0-based). */
export function parentPost(calls: readonly FakeSlackCall[], n = 0, channel = CHANNEL): FakeSlackCall | undefined {
  return calls.filter((c) => c.method === "chat.postMessage" && c.status === 200 && c.body["channel"] === channel && c.body["thread_ts"] === undefined && c.response?.["ok"] === true)[n];
}

/** The parent's final verdict (the chat.update that shows the outcome, not progress). */
export function verdictUpdate(calls: readonly FakeSlackCall[], parentTs: string): FakeSlackCall | undefined {
  return calls.find((c) => c.method === "chat.update" && c.body["ts"] === parentTs && !String(c.body["text"]).includes("checks done") && !String(c.body["text"]).startsWith("Checking"));
}

/** The job counts of the diagnose queue of a cluster, read straight from Redis. */
export async function jobCounts(redisUrl: string, cluster = "prod"): Promise<Record<string, number>> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(diagnoseQueueName(cluster), { connection, prefix: QUEUE_PREFIX });
  try {
    return await queue.getJobCounts();
  } finally {
    await queue.close();
    await connection.quit();
  }
}

/** The text a Slack message shows, blocks included, for matching. */
export function shownText(message: { text?: unknown; blocks?: unknown }): string {
  return `${typeof message.text === "string" ? message.text : ""} ${JSON.stringify(message.blocks ?? [])}`;
}

/** A sample's value from the process's /metrics, or undefined when it has not been recorded. */
export async function metricValue(pipeline: Pipeline, sample: string): Promise<number | undefined> {
  const text = await (await fetch(opsUrl(pipeline, "/metrics"))).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
