import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postToApp, signedSlashCommand } from "../support/slack-requests.js";
import { CHANNEL, eventsUrl, jobCounts, sendCommand, SIGNING_SECRET, startPipeline, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(async () => {
  await pipeline.stop();
});

/** Nothing reached the channel and nothing was queued. */
async function expectNothingHappened(): Promise<void> {
  expect(pipeline.slack.callsTo("chat.postMessage")).toEqual([]);
  expect(pipeline.slack.callsTo("chat.update")).toEqual([]);
  expect(pipeline.collected).toEqual([]);
  const counts = await jobCounts(pipeline.redis.url);
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
}

describe("requests Slack did not sign are refused (HTTP receiver)", () => {
  it("refuses a request signed with another secret: 401, nothing posted, nothing queued", async () => {
    const response = await postToApp(
      eventsUrl(pipeline),
      signedSlashCommand({ signingSecret: "not-the-signing-secret", text: "check storefront.shop", user_id: "U0MALLORY", channel_id: CHANNEL }),
    );
    expect(response.status).toBe(401);
    await expectNothingHappened();
  });

  it("refuses a correctly signed request older than five minutes (a replay): 401, nothing queued", async () => {
    const response = await postToApp(
      eventsUrl(pipeline),
      signedSlashCommand({ signingSecret: SIGNING_SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60, text: "check storefront.shop", user_id: "U0MALLORY", channel_id: CHANNEL }),
    );
    expect(response.status).toBe(401);
    await expectNothingHappened();
  });

  it("refuses a request whose body was changed after signing", async () => {
    const signed = signedSlashCommand({ signingSecret: SIGNING_SECRET, text: "help", user_id: "U0MALLORY", channel_id: CHANNEL });
    const response = await postToApp(eventsUrl(pipeline), { ...signed, body: signed.body.replace("text=help", "text=check+storefront.shop") });
    expect(response.status).toBe(401);
    await expectNothingHappened();
  });
});

interface EphemeralAck {
  response_type?: string;
  text?: string;
  blocks?: unknown[];
}

describe("input that is not a valid command gets a usage reply and is never queued", () => {
  const invalid: [string, string][] = [
    ["an unknown verb", "frobnicate storefront"],
    ["a name Kubernetes would refuse", "check Store_Front!"],
    ["a name over 63 characters", `check ${"a".repeat(64)}.shop`],
    ["a command over 500 characters", `check storefront.shop ${"x ".repeat(300)}`],
    ["a broadcast mention", "check <!channel>"],
    ["a user mention as the client", "check storefront.shop from <@U0ADMIN>"],
    ["a link", "check <https://evil.example|storefront>"],
    ["shell metacharacters", "check storefront.shop; kubectl delete ns shop"],
    ["a path", "check ../../etc/passwd"],
    ["a cluster name with a wildcard", "check storefront.shop cluster *"],
    ["trailing words", "check storefront.shop please"],
  ];
  it.each(invalid)("%s", async (_what, text) => {
    const started = Date.now();
    const response = await sendCommand(pipeline, text);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(200);
    const ack = JSON.parse(response.body) as EphemeralAck;
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toMatch(/^I could not read that command/);
    // What the user typed is shown escaped: no mention, broadcast or link is ever live.
    const shown = JSON.stringify(ack);
    for (const live of ["<!channel>", "<@U0ADMIN>", "<https://evil"]) expect(shown).not.toContain(live);
    await expectNothingHappened();
  });

  it("reports the count of refused commands in the metrics", async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${pipeline.opsPort}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^mtls_doctor_commands_total\\{command="invalid",outcome="usage"\\} ${invalid.length}$`, "m"));
  });
});
