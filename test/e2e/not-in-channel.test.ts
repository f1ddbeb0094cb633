import { afterEach, describe, expect, it } from "vitest";
import { postToApp, signedSlashCommand } from "../support/slack-requests.js";
import { eventsUrl, jobCounts, SIGNING_SECRET, startPipeline, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

describe("a channel the bot has not joined", () => {
  it("tells the requester (only them) how to invite the bot, and queues nothing", async () => {
    pipeline = await startPipeline();
    const { slack } = pipeline;
    slack.setChannel({ id: "C0PRIVATE1", name: "private", joined: false });
    const responseUrl = slack.responseUrl();
    const response = await postToApp(
      eventsUrl(pipeline),
      signedSlashCommand({ signingSecret: SIGNING_SECRET, text: "check storefront.shop", user_id: "U0REQUEST", channel_id: "C0PRIVATE1", response_url: responseUrl }),
    );
    expect(response.status).toBe(200);
    const [answer] = await slack.waitFor(() => {
      const found = slack.responses(responseUrl);
      return found.length > 0 ? found : undefined;
    });
    expect(answer?.body["response_type"]).toBe("ephemeral");
    expect(String(answer?.body["text"])).toMatch(/\/invite @mtls-doctor/);
    expect(slack.messages("C0PRIVATE1")).toEqual([]);
    expect(Object.values(await jobCounts(pipeline.redis.url)).every((n) => n === 0)).toBe(true);
    expect(pipeline.collected).toEqual([]);
  });
});
