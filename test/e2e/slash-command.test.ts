import { afterEach, describe, expect, it } from "vitest";
import { postToApp, signedSlashCommand } from "../support/slack-requests.js";
import { BOT_TOKEN, CHANNEL, SIGNING_SECRET, startPipeline, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

function eventsUrl(p: Pipeline): string {
  return `http://127.0.0.1:${p.port}/slack/events`;
}

describe("/mtls check end to end (HTTP receiver → Redis → worker → fake API server → fake Slack)", () => {
  it("acknowledges at once, then answers in a thread: parent, progress, summary, findings, fixes with YAML, verdict", async () => {
    pipeline = await startPipeline();
    const { slack } = pipeline;
    const started = Date.now();
    const response = await postToApp(
      eventsUrl(pipeline),
      signedSlashCommand({ signingSecret: SIGNING_SECRET, text: "check storefront.shop from checkout", user_id: "U0REQUEST", channel_id: CHANNEL, response_url: slack.responseUrl() }),
    );
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);

    const parent = await slack.waitFor((calls) => calls.find((c) => c.method === "chat.postMessage" && c.body["thread_ts"] === undefined), 5_000);
    const parentTs = String(parent.response?.["ts"]);
    const verdict = await slack.waitFor(
      (calls) => calls.find((c) => c.method === "chat.update" && c.body["ts"] === parentTs && /critical/i.test(String(c.body["text"]))),
      20_000,
    );
    expect(verdict).toBeDefined();

    const replies = slack.threadReplies(CHANNEL, parentTs);
    const texts = replies.map((r) => `${r.text ?? ""} ${JSON.stringify(r.blocks ?? [])}`);
    // The summary comes first, then one reply per finding, then the fixes.
    expect(texts[0]).toMatch(/storefront/);
    const findingIndex = texts.findIndex((t) => t.includes("MTLS203") && t.includes("DestinationRuleDisablesMtls"));
    expect(findingIndex).toBeGreaterThan(0);
    for (const code of ["MTLS301", "MTLS501", "MTLS202"]) expect(texts.some((t) => t.includes(code))).toBe(true);
    const uploads = slack.uploads();
    expect(uploads.length).toBeGreaterThan(0);
    expect(uploads.every((u) => u.thread_ts === parentTs && u.channel === CHANNEL)).toBe(true);
    expect(uploads.some((u) => u.content.toString("utf8").includes("kind: DestinationRule"))).toBe(true);

    // Progress was shown on the parent before the verdict.
    const updates = slack.callsTo("chat.update").filter((c) => c.body["ts"] === parentTs);
    expect(updates.length).toBeGreaterThan(1);
    // Secrets never reach a log line or a Slack message.
    const everything = [...pipeline.logs, ...slack.calls.map((c) => JSON.stringify(c.body))].join("\n");
    expect(everything).not.toContain(BOT_TOKEN);
    expect(everything).not.toContain(SIGNING_SECRET);
  });
});
