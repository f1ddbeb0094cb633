// `npm run demo`: the whole loop on the bundled snapshot, on one machine, without Slack or a cluster.
//
//   redis-server (started on a free port unless REDIS_URL is set)
//   fake Kubernetes API server serving examples/demo     fake Slack Web API (records what the bot posts)
//   mtls-doctor all (Bolt HTTP receiver + BullMQ worker) in this process
//
// A signed `/mtls check storefront.shop from checkout` goes to the bot exactly as Slack would send it;
// when the verdict is on the parent message, the channel and its thread are printed as a person would
// read them in Slack, then everything is stopped. Exit 0 when the loop completed, 1 otherwise.
import { randomBytes } from "node:crypto";
import { constants, createWriteStream, existsSync, type WriteStream } from "node:fs";
import { access, mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { collectLive, planForRequest } from "../src/cluster/collect-live.js";
import { inputsOf } from "../src/checks/registry.js";
import { serve } from "../src/serve.js";
import type { Collector } from "../src/worker/diagnose-processor.js";
import { startFakeKubeApi } from "../test/support/fake-kube-api.js";
import { startFakeSlack, type FakeMessage, type FakeSlack, type FakeSlackCall } from "../test/support/fake-slack.js";
import { freePort, startTestRedis, type TestRedis } from "../test/support/redis-server.js";
import { postToApp, signedSlashCommand } from "../test/support/slack-requests.js";
import { renderThread, type ThreadFile, type ThreadMessage } from "./render-thread.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SNAPSHOT = path.join(ROOT, "examples", "demo");
/** When examples/demo was captured (npm run demo:cli passes the same --now). */
const CAPTURED_AT = new Date("2026-11-27T12:00:00Z");
const CHANNEL = { id: "C0MESH0001", name: "mesh" };
const USER = { id: "U0DEMO0001", name: "you" };
const CLUSTER = "prod";
const COMMAND = "/mtls";
const COMMAND_TEXT = "check storefront.shop from checkout";
const BOT_NAME = "mtls-doctor";
const READY_TIMEOUT_MS = 20_000;
const PARENT_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const REDIS_MISSING = "redis-server is not installed: apt-get install -y redis-server (or set REDIS_URL)";

/** A failure the demo explains in one message (no stack trace). */
class DemoError extends Error {}

const color = process.stdout.isTTY === true && (process.env["NO_COLOR"] ?? "") === "";
// A terminal's own width (0 under some wrappers), else COLUMNS, else 100; within 60–120 either way.
const width = Math.min(120, Math.max(60, (process.stdout.isTTY === true ? process.stdout.columns : 0) || Number(process.env["COLUMNS"]) || 100));
const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[22m` : text);
const dim = (text: string) => (color ? `\u001b[2m${text}\u001b[22m` : text);
const red = (text: string) => (color ? `\u001b[31m${text}\u001b[39m` : text);

/** Set once Ctrl-C (or SIGTERM) arrived: from then on the demo only stops, and says nothing more. */
let interruptedBy: NodeJS.Signals | undefined;

function write(text: string): void {
  if (interruptedBy === undefined) process.stdout.write(text);
}

function say(line = ""): void {
  write(`${line}\n`);
}

/** What has to be stopped, newest first; each runs once whether the demo ends, fails or is interrupted. */
const cleanups: { name: string; run: () => Promise<void> }[] = [];

function onCleanup(name: string, run: () => Promise<void>): void {
  cleanups.unshift({ name, run });
}

let cleaning: Promise<string[]> | undefined;

/** Stops everything started so far (once: a signal and the normal end share the same run). */
function cleanUp(): Promise<string[]> {
  cleaning ??= stopAll();
  return cleaning;
}

async function stopAll(): Promise<string[]> {
  const problems: string[] = [];
  while (cleanups.length > 0) {
    const next = cleanups.shift();
    if (next === undefined) break;
    try {
      await withTimeout(next.run(), STOP_TIMEOUT_MS, `stopping ${next.name}`);
    } catch (err) {
      problems.push(`could not stop ${next.name}: ${messageOf(err)}`);
    }
  }
  return problems;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DemoError(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether an executable of that name is on PATH (spawning a missing one would only fail later, less clearly). */
async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    try {
      await access(path.join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** A Redis URL without its password, for printing. */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== "") url.password = "****";
    return url.toString();
  } catch {
    return "(unparsable URL)";
  }
}

interface DemoRedis {
  url: string;
  description: string;
}

/** The Redis the bot and worker share: REDIS_URL's (checked first), else a private redis-server on a free port. */
async function startRedis(prefix: string): Promise<DemoRedis> {
  const given = process.env["REDIS_URL"]?.trim();
  if (given !== undefined && given !== "") {
    const client = new Redis(given, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
    let lastError: string | undefined;
    client.on("error", (err: Error) => (lastError = err.message));
    try {
      await withTimeout(
        client.connect().then(() => client.ping()),
        5_000,
        "connecting to Redis",
      );
    } catch (err) {
      client.disconnect();
      throw new DemoError(`cannot reach Redis at ${redactUrl(given)} (REDIS_URL): ${lastError ?? messageOf(err)}`);
    }
    // Everything the demo writes is under its own QUEUE_PREFIX; remove it afterwards so a shared Redis is left as it was.
    onCleanup("the demo's keys in Redis", async () => {
      try {
        let cursor = "0";
        do {
          const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
          if (keys.length > 0) await client.del(...keys);
          cursor = next;
        } while (cursor !== "0");
      } finally {
        client.disconnect();
      }
    });
    return { url: given, description: `${redactUrl(given)} (REDIS_URL), keys under ${prefix}:` };
  }
  if (!(await onPath("redis-server"))) throw new DemoError(REDIS_MISSING);
  let redis: TestRedis;
  try {
    redis = await startTestRedis();
  } catch (err) {
    throw new DemoError(`could not start redis-server: ${messageOf(err)}`);
  }
  const started = redis;
  onCleanup("redis-server", () => started.close());
  return { url: started.url, description: `redis-server on 127.0.0.1:${started.port}, started for this demo` };
}

/** The first section's text of a recorded message body (what the parent message says now). */
function firstSection(body: Record<string, unknown>): string {
  const blocks = body["blocks"];
  if (!Array.isArray(blocks)) return "";
  for (const block of blocks as unknown[]) {
    if (typeof block !== "object" || block === null) continue;
    const record = block as Record<string, unknown>;
    const text = record["text"];
    if (record["type"] === "section" && typeof text === "object" && text !== null) {
      const value = (text as Record<string, unknown>)["text"];
      return typeof value === "string" ? value : "";
    }
  }
  return "";
}

/** The parent stops showing ⏳ once the verdict (or the error) replaces the progress. */
function isFinalUpdate(call: FakeSlackCall, parentTs: string): boolean {
  return call.method === "chat.update" && call.body["ts"] === parentTs && call.response?.["ok"] === true && !firstSection(call.body).startsWith("⏳");
}

function threadMessage(message: FakeMessage): ThreadMessage {
  return {
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.blocks !== undefined ? { blocks: message.blocks } : {}),
    ...(message.files !== undefined ? { files: message.files } : {}),
    edited: message.updateCount > 0,
  };
}

function printThread(slack: FakeSlack, parentTs: string): { replies: number; files: number } {
  const parent = slack.message(CHANNEL.id, parentTs);
  if (parent === undefined) throw new DemoError("the parent message is gone from the fake Slack");
  const replies = slack.threadReplies(CHANNEL.id, parentTs);
  const files: Record<string, ThreadFile> = {};
  for (const upload of slack.uploads()) {
    if (upload.thread_ts !== parentTs) continue;
    files[upload.id] = { name: upload.filename, ...(upload.title !== undefined ? { title: upload.title } : {}), content: upload.content.toString("utf8") };
  }
  const rendered = renderThread(
    { channel: CHANNEL.name, author: BOT_NAME, parent: threadMessage(parent), replies: replies.map(threadMessage), files },
    { color, width, users: { [USER.id]: USER.name } },
  );
  write(rendered);
  return { replies: replies.length, files: Object.keys(files).length };
}

/** What the bot said only to the requester (an ephemeral ack or a `respond()`), for an error message. */
function ephemeralText(body: string): string | undefined {
  if (body.trim() === "") return undefined;
  try {
    const parsed = JSON.parse(body) as { text?: unknown };
    return typeof parsed.text === "string" ? parsed.text : body;
  } catch {
    return body;
  }
}

/** The last warnings and errors in the log, to say why something failed. */
async function logTail(logPath: string, lines = 8): Promise<string[]> {
  const text = await readFile(logPath, "utf8").catch(() => "");
  const out: string[] = [];
  for (const line of text.split("\n")) {
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
      if (entry.level !== "warn" && entry.level !== "error" && entry.level !== "fatal") continue;
      const err = typeof entry.err?.message === "string" ? `: ${entry.err.message}` : "";
      out.push(`[${String(entry.level)}] ${String(entry.msg ?? "")}${err}`);
    } catch {
      // not a log line
    }
  }
  return out.slice(-lines);
}

async function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed || stream.destroyed) return;
  await new Promise<void>((resolve) => stream.end(() => resolve()));
}

/** Where this run logs, once known (printed on failure). */
let currentLogPath: string | undefined;

async function runDemo(): Promise<void> {
  if (!existsSync(SNAPSHOT)) throw new DemoError(`the demo snapshot ${SNAPSHOT} is missing`);
  const prefix = `mtls-demo-${randomBytes(4).toString("hex")}`;

  say(bold("mtls-doctor demo: the whole Slack loop on the bundled broken mesh (examples/demo)"));
  say(dim("Nothing leaves this machine: Slack and the Kubernetes API server are fakes, Redis is real."));
  say();

  const redis = await startRedis(prefix);

  const logDir = await mkdtemp(path.join(os.tmpdir(), "mtls-doctor-demo-"));
  const logPath = path.join(logDir, "mtls-doctor.log");
  currentLogPath = logPath;
  const logStream = createWriteStream(logPath, { flags: "w", mode: 0o600 });
  onCleanup("the log file", () => closeStream(logStream));

  const slack = await startFakeSlack({ channels: [{ id: CHANNEL.id, name: CHANNEL.name }], users: [{ id: USER.id, name: USER.name }] });
  onCleanup("the fake Slack", () => slack.close());
  const kube = await startFakeKubeApi({ snapshot: SNAPSHOT });
  onCleanup("the fake Kubernetes API server", () => kube.close());

  const port = await freePort();
  const metricsPort = await freePort();
  const signingSecret = randomBytes(16).toString("hex");
  const env: NodeJS.ProcessEnv = {
    SLACK_BOT_TOKEN: `xoxb-demo-${randomBytes(8).toString("hex")}`,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    CLUSTER_NAME: CLUSTER,
    LOG_LEVEL: process.env["LOG_LEVEL"] ?? "info",
  };
  const kc = kube.kubeConfig();
  const inputs = inputsOf();
  // istioctl: none, so that one on PATH is never pointed at the fake; the checks that need it say "skipped".
  const collect: Collector = (request, onProgress) => collectLive(kc, planForRequest(request, inputs), { onProgress, istioctl: null });

  let stopServe!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopServe = resolve));
  let running: Promise<number> = Promise.resolve(0);
  let isReady = false;
  const ready = new Promise<void>((resolve, reject) => {
    // The bundled cluster is replayed as captured: its certificates and proxy counters are of that moment.
    const now = () => CAPTURED_AT;
    running = serve("all", { env, kubeConfig: kc, logDestination: logStream, collect, stopSignal, now, onReady: () => ((isReady = true), resolve()) });
    running.then((code) => reject(new DemoError(`mtls-doctor stopped while starting (exit code ${code})`)), reject);
  });
  onCleanup("mtls-doctor (bot and worker)", async () => {
    stopServe();
    const code = await running;
    // A failed start was reported already.
    if (code !== 0 && isReady) throw new DemoError(`it exited with code ${code}`);
  });
  await withTimeout(ready, READY_TIMEOUT_MS, "starting mtls-doctor");

  const rows: [string, string][] = [
    ["Redis", redis.description],
    ["Kubernetes", `fake API server on ${kube.url}, serving examples/demo`],
    ["Slack", `fake Web API on ${slack.apiUrl}, channel #${CHANNEL.name}`],
    ["mtls-doctor", `bot and worker in this process (mtls-doctor all), cluster ${CLUSTER}, HTTP receiver on 127.0.0.1:${port}`],
    ["Logs", logPath],
  ];
  for (const [name, value] of rows) say(`  ${bold(name.padEnd(12))} ${value}`);
  say();
  say(`${bold(`@${USER.name}`)} in ${bold(`#${CHANNEL.name}`)}:  ${COMMAND} ${COMMAND_TEXT}`);

  const sentAt = Date.now();
  const response = await postToApp(
    `http://127.0.0.1:${port}/slack/events`,
    signedSlashCommand({
      signingSecret,
      command: COMMAND,
      text: COMMAND_TEXT,
      user_id: USER.id,
      user_name: USER.name,
      channel_id: CHANNEL.id,
      channel_name: CHANNEL.name,
      response_url: slack.responseUrl(),
    }),
  );
  const ackMs = Date.now() - sentAt;
  if (response.status !== 200) throw new DemoError(`the bot answered the slash command with HTTP ${response.status}: ${response.body.slice(0, 300)}`);
  const ephemeral = ephemeralText(response.body);
  if (ephemeral !== undefined) throw new DemoError(`the bot did not start a check; it answered only to the requester: ${ephemeral}`);
  say(dim(`⏳ acknowledged in ${ackMs} ms; waiting for the answer in the thread…`));
  say();

  let parentTs: string;
  try {
    const parent = await slack.waitFor(
      (calls) => calls.find((c) => c.method === "chat.postMessage" && c.body["channel"] === CHANNEL.id && c.body["thread_ts"] === undefined && c.response?.["ok"] === true),
      PARENT_TIMEOUT_MS,
    );
    parentTs = String(parent.response?.["ts"]);
  } catch {
    const said = slack.responses().map((r) => (typeof r.body["text"] === "string" ? r.body["text"] : JSON.stringify(r.body)));
    throw new DemoError(`the bot posted nothing in #${CHANNEL.name} within ${PARENT_TIMEOUT_MS / 1000} s${said.length > 0 ? `; it said: ${said.join(" / ")}` : ""}`);
  }

  let final: FakeSlackCall | undefined;
  try {
    final = await slack.waitFor((calls) => calls.find((c) => isFinalUpdate(c, parentTs)), ANSWER_TIMEOUT_MS);
  } catch {
    final = undefined;
  }
  const answerMs = final === undefined ? undefined : final.at - sentAt;
  const shown = printThread(slack, parentTs);
  say();
  if (final === undefined) throw new DemoError(`no verdict on the parent message within ${ANSWER_TIMEOUT_MS / 1000} s (the thread so far is above)`);
  if (firstSection(final.body).startsWith("❌")) throw new DemoError("the diagnosis failed (the parent message above says why)");

  say(bold(`Acknowledged in ${ackMs} ms, answered in ${answerMs} ms`) + dim(` (verdict on the parent; ${shown.replies} replies and ${shown.files} files in the thread)`));
  say(dim(`Slack wants the acknowledgement within 3 s; the answer comes from the worker through Redis (BullMQ). Logs: ${logPath}`));
}

function signalExitCode(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}

function interrupt(signal: NodeJS.Signals): void {
  if (interruptedBy !== undefined) process.exit(signalExitCode(interruptedBy));
  interruptedBy = signal;
  process.stderr.write(`\n${signal}: stopping the demo…\n`);
  void cleanUp().finally(() => process.exit(signalExitCode(signal)));
}

async function main(): Promise<number> {
  // A second Ctrl-C while stopping exits at once.
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  let code = 0;
  try {
    await runDemo();
  } catch (err) {
    code = 1;
    // Interrupted: whatever failed after that failed because everything was being stopped.
    if (interruptedBy !== undefined) return signalExitCode(interruptedBy);
    if (err instanceof DemoError) process.stderr.write(`${red("mtls-doctor demo:")} ${err.message}\n`);
    else process.stderr.write(`${red("mtls-doctor demo failed:")} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  const problems = await cleanUp();
  if (interruptedBy !== undefined) return signalExitCode(interruptedBy);
  for (const problem of problems) process.stderr.write(`${red("mtls-doctor demo:")} ${problem}\n`);
  if (problems.length > 0) code = 1;
  if (code !== 0) {
    const found = currentLogPath;
    if (found !== undefined) {
      const tail = await logTail(found);
      if (tail.length > 0) process.stderr.write(`Last warnings and errors in the log:\n${tail.map((l) => `  ${l}`).join("\n")}\n`);
      process.stderr.write(`Full log: ${found}\n`);
    }
  }
  return code;
}

const code = await main();
process.exitCode = code;
// Everything was stopped; should a stray handle keep the event loop alive, do not hang the terminal.
setTimeout(() => process.exit(code), 2_000).unref();
