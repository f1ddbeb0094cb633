import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";
import { APP_TOKEN, BOT_TOKEN, CHANNEL, jobCounts, parentPost, shownText, startPipeline, verdictUpdate, type Pipeline } from "./pipeline-harness.js";
import { foldSteps, threadSteps } from "./thread-sequence.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

/**
 * parent → progress updates → summary → each finding followed by the fixes it announces ("fixes below":
 * a fix reply and its YAML file each) → verdict on the parent; at least one fix in all.
 */
const ANSWER_SHAPE = /^parent progress\+ summary (finding\+? (fix upload )*)*finding\+? (fix upload )+(finding\+? (fix upload )*)*verdict$/;

async function runOverSocket(p: Pipeline, text: string): Promise<{ parentTs: string; ackMs: number; ackPayload: unknown }> {
  const started = Date.now();
  const ack = await p.slack.socket.sendSlashCommand({ text, user_id: "U0REQUEST", channel_id: CHANNEL });
  const ackMs = Date.now() - started;
  const parent = await p.slack.waitFor((calls) => parentPost(calls), 5_000);
  const parentTs = String(parent.response?.["ts"]);
  await p.slack.waitFor((calls) => verdictUpdate(calls, parentTs), 15_000);
  return { parentTs, ackMs, ackPayload: ack.payload };
}

describe("/mtls check end to end through Socket Mode (socket → Redis → worker → fake API server → fake Slack)", () => {
  it("acks over the socket, then answers in order: parent, progress, summary, findings, fixes with YAML, verdict", async () => {
    pipeline = await startPipeline({ socketMode: true });
    const { slack } = pipeline;
    expect(slack.socket.connectionCount).toBe(1);
    const { parentTs, ackMs, ackPayload } = await runOverSocket(pipeline, "check storefront.shop from checkout");
    expect(ackMs).toBeLessThan(3_000);
    // A bare ack: the answer is in the channel, not an ephemeral reply.
    expect(ackPayload === undefined || Object.keys(ackPayload as object).length === 0).toBe(true);

    const steps = threadSteps(slack.calls, CHANNEL, parentTs);
    expect(foldSteps(steps)).toMatch(ANSWER_SHAPE);

    const replies = slack.threadReplies(CHANNEL, parentTs).map(shownText);
    expect(replies[0]).toMatch(/storefront/);
    for (const code of ["MTLS203", "MTLS301", "MTLS501", "MTLS202"]) expect(replies.some((t) => t.includes(code))).toBe(true);
    const fixReplies = steps.filter((s) => s === "fix").length;
    const uploads = slack.uploads().filter((u) => u.thread_ts === parentTs && u.channel === CHANNEL);
    expect(uploads).toHaveLength(fixReplies);
    expect(uploads.every((u) => u.filename.endsWith(".yaml") && u.content.length > 0)).toBe(true);
    expect(uploads.some((u) => u.content.toString("utf8").includes("kind: DestinationRule"))).toBe(true);

    const parent = slack.message(CHANNEL, parentTs);
    expect(parent?.text).toMatch(/critical/i);
    expect(await jobCounts(pipeline.redis.url)).toMatchObject({ completed: 1, failed: 0, active: 0, waiting: 0 });
    const everything = [...pipeline.logs, ...slack.calls.map((c) => JSON.stringify(c.body))].join("\n");
    expect(everything).not.toContain(BOT_TOKEN);
    expect(everything).not.toContain(APP_TOKEN);
  });

  const scenario = "01-plaintext-client-to-strict-service";
  const scenarioDir = path.join(SHARED_DIR, "scenarios", scenario);
  const present = sharedAvailable(`the ${scenario} scenario over Socket Mode`) && existsSync(path.join(scenarioDir, "case.json"));
  it.skipIf(!present)(`answers the shared scenario ${scenario} served by the fake API server`, async () => {
    const testCase = JSON.parse(readFileSync(path.join(scenarioDir, "case.json"), "utf8")) as {
      args: string[];
      expect: { code: string; resource?: string }[];
      forbid: { code: string; resource?: string }[];
    };
    const [verb, target, fromFlag, from] = testCase.args;
    expect([verb, fromFlag]).toEqual(["check", "--from"]);
    pipeline = await startPipeline({ socketMode: true, snapshot: path.join(scenarioDir, "snapshot") });
    const { parentTs } = await runOverSocket(pipeline, `check ${target} from ${from}`);

    expect(foldSteps(threadSteps(pipeline.slack.calls, CHANNEL, parentTs))).toMatch(ANSWER_SHAPE);
    const thread = pipeline.slack.threadReplies(CHANNEL, parentTs).map(shownText).join("\n");
    for (const expected of testCase.expect) {
      expect(thread).toContain(expected.code);
      if (expected.resource) expect(thread).toContain(expected.resource.split(" ")[1]?.split("/").pop());
    }
    for (const forbidden of testCase.forbid.filter((f) => f.resource === undefined)) expect(thread).not.toContain(forbidden.code);
  });
});
