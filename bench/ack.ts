// npm run bench: how long the slash-command acknowledgement takes under 200 concurrent signed
// commands, for our bot and for a bare Bolt app that only acks, measured in the same run (the ratio
// is what compares across machines). Each app runs alone in a child process (bench/ack-app.ts);
// Redis, the fake Slack and this load generator run outside it. Rounds alternate between the two.
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { beat } from "../src/queue/worker-registry.js";
import { startFakeSlack, type FakeSlack } from "../test/support/fake-slack.js";
import { freePort, startTestRedis } from "../test/support/redis-server.js";
import { postToApp, signedSlashCommand } from "../test/support/slack-requests.js";

const CONCURRENCY = 200;
const WARMUP_ROUNDS = 2;
const ROUNDS = Number(process.env["ACK_BENCH_ROUNDS"] ?? 8);
const GOAL_RATIO = 1.5;
const CHANNEL = "C0BENCH001";
const SIGNING_SECRET = "bench-signing-secret-0123456789";
const PREFIX = "mtls";
const CLUSTER = "prod";

type Variant = "bare" | "bot";

interface RunningApp {
  variant: Variant;
  url: string;
  child: ChildProcess;
}

async function startApp(variant: Variant, env: Record<string, string>): Promise<RunningApp> {
  const port = await freePort();
  const script = fileURLToPath(new URL("./ack-app.ts", import.meta.url));
  const child = fork(script, [variant], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env, PORT: String(port), METRICS_PORT: String(await freePort()) },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${variant} app exited with ${code} before it was ready`)));
    child.on("message", (m) => {
      if (typeof m === "object" && m !== null && "ready" in m) resolve();
    });
  });
  child.removeAllListeners("exit");
  return { variant, url: `http://127.0.0.1:${port}/slack/events`, child };
}

async function stopApp(app: RunningApp): Promise<void> {
  const exited = new Promise<void>((resolve) => app.child.once("exit", () => resolve()));
  app.child.send("stop");
  await Promise.race([exited, delay(5_000).then(() => app.child.kill("SIGKILL"))]);
}

/** Waits until the fake Slack has seen no call for `quietMs`: the work a round left behind is done. */
async function settle(slack: FakeSlack, quietMs = 300, maxMs = 20_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let seen = slack.calls.length;
  let since = Date.now();
  while (Date.now() < deadline) {
    await delay(50);
    if (slack.calls.length !== seen) {
      seen = slack.calls.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

let sequence = 0;

/** Fires CONCURRENCY signed commands at once; each latency is from its own send to the whole answer. */
async function round(app: RunningApp, slack: FakeSlack): Promise<number[]> {
  sequence += 1;
  const requests = Array.from({ length: CONCURRENCY }, (_, i) =>
    signedSlashCommand({
      signingSecret: SIGNING_SECRET,
      // Different services, so that the bot queues each one (no dedupe between them).
      text: `check svc-${sequence}-${i}.shop`,
      user_id: `U0USER${i}`,
      channel_id: CHANNEL,
      response_url: slack.responseUrl(),
    }),
  );
  const latencies = await Promise.all(
    requests.map(async (request) => {
      const started = performance.now();
      const response = await postToApp(app.url, request);
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`${app.variant}: HTTP ${response.status} ${response.body}`);
      return ms;
    }),
  );
  await settle(slack);
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const redis = await startTestRedis();
const slack = await startFakeSlack({ channels: [{ id: CHANNEL, name: "mesh" }] });
const client = new Redis(redis.url);
const env = {
  SLACK_BOT_TOKEN: "xoxb-bench-token-0123456789",
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: slack.apiUrl,
  REDIS_URL: redis.url,
  QUEUE_PREFIX: PREFIX,
  CLUSTER_NAME: CLUSTER,
  LOG_LEVEL: "info",
};
const apps = [await startApp("bare", env), await startApp("bot", env)];
const samples: Record<Variant, number[]> = { bare: [], bot: [] };
/** Each round's p99, to tell a slow machine moment (one round) from a slow bot (every round). */
const roundP99: Record<Variant, number[]> = { bare: [], bot: [] };
try {
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    for (const app of r % 2 === 0 ? apps : [...apps].reverse()) {
      // The bot queues work only for a cluster with a live worker: announce one, as a worker would.
      await beat(client, PREFIX, CLUSTER, "bench-worker");
      const latencies = await round(app, slack);
      if (r >= WARMUP_ROUNDS) {
        samples[app.variant].push(...latencies);
        roundP99[app.variant].push(percentile([...latencies].sort((a, b) => a - b), 99));
      }
    }
  }
} finally {
  for (const app of apps) await stopApp(app);
  client.disconnect();
  await slack.close();
  await redis.close();
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
};
const bare = stats(samples.bare);
const bot = stats(samples.bot);
const fmt = (n: number) => n.toFixed(1);
console.log(`ack latency, ${CONCURRENCY} concurrent signed slash commands, ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up (${samples.bot.length} requests each)`);
console.log("| app | p50 (ms) | p95 (ms) | p99 (ms) |");
console.log("|---|---:|---:|---:|");
console.log(`| bare Bolt (ack only) | ${fmt(bare.p50)} | ${fmt(bare.p95)} | ${fmt(bare.p99)} |`);
console.log(`| mtls-doctor bot | ${fmt(bot.p50)} | ${fmt(bot.p95)} | ${fmt(bot.p99)} |`);
const ratio = bot.p99 / bare.p99;
console.log(`p99 ratio bot / bare: ${ratio.toFixed(2)}x (p50 ${(bot.p50 / bare.p50).toFixed(2)}x, p95 ${(bot.p95 / bare.p95).toFixed(2)}x)`);
const perRound = roundP99.bot.map((p, i) => p / (roundP99.bare[i] ?? p)).sort((a, b) => a - b);
console.log(`p99 ratio per round pair: ${perRound.map((r) => r.toFixed(2)).join(" ")} (median ${percentile(perRound, 50).toFixed(2)}x)`);
console.log(`${ratio < GOAL_RATIO ? "met " : "MISS"} ack p99 < ${GOAL_RATIO}x a bare Bolt app`);
