import { afterEach, describe, expect, it } from "vitest";
import { postToApp, signedSlashCommand } from "../support/slack-requests.js";
import { CHANNEL, SIGNING_SECRET, startPipeline, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

describe("a cluster the worker cannot read", () => {
  it("is never reported as healthy: the parent says the diagnosis failed and why", async () => {
    pipeline = await startPipeline({ kube: { forbid: [{ verb: "list", resource: "services" }] } });
    const p = pipeline;
    await postToApp(`http://127.0.0.1:${p.port}/slack/events`, signedSlashCommand({ signingSecret: SIGNING_SECRET, text: "check storefront.shop", user_id: "U0REQ", channel_id: CHANNEL, response_url: p.slack.responseUrl() }));
    const parent = await p.slack.waitFor((calls) => calls.find((c) => c.method === "chat.postMessage" && c.body["thread_ts"] === undefined), 5_000);
    const parentTs = String(parent.response?.["ts"]);
    const failed = await p.slack.waitFor(
      (calls) => calls.find((c) => c.method === "chat.update" && c.body["ts"] === parentTs && /failed/i.test(String(c.body["text"]))),
      20_000,
    );
    expect(String(failed.body["text"])).toMatch(/no check could run/);
    expect(String(failed.body["text"])).toMatch(/forbidden/);
    expect(p.slack.callsTo("chat.update").some((c) => /no problems/i.test(String(c.body["text"])))).toBe(false);
  }, 30_000);
});
