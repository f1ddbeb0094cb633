import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { eventually, INCIDENT_CHANNEL, startIncidentRig, type IncidentRig } from "./incident-harness.js";

let redis: TestRedis;
let slack: FakeSlack;
let rig: IncidentRig | undefined;

beforeAll(async () => {
  redis = await startTestRedis();
  slack = await startFakeSlack({ channels: [{ id: INCIDENT_CHANNEL, name: "mesh-incidents" }] });
});

afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  slack.reset();
});

afterAll(async () => {
  await slack.close();
  await redis.close();
});

describe("incident notifications when Slack fails", () => {
  it("delivers a notification later, once, when Slack answers 429 and then 500", async () => {
    rig = await startIncidentRig({ redis, slack });
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    slack.failNext("chat.postMessage", { status: 500 });
    await rig.scan(["shop"]);
    const r = rig;
    const incidents = await eventually("the announcement", () => r.incidents().length > 0 && r.incidents(), 15_000);
    const posts = slack.callsTo("chat.postMessage").filter((c) => c.body["channel"] === INCIDENT_CHANNEL);
    expect(posts.slice(0, 3).map((c) => c.status)).toEqual([429, 500, 200]);
    // Slack's Retry-After held the queue.
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
    await eventually("the details", () => r.thread(incidents[0]!.ts).length > 0, 10_000);
    await r.scan(["shop"]);
    expect(r.incidents()).toHaveLength(1);
    const texts = r.incidentPosts().map((c) => String(c.body["text"]));
    expect(new Set(texts).size).toBe(texts.length);
  });

  it("delays notifications through a Slack outage instead of losing them", async () => {
    rig = await startIncidentRig({ redis, slack });
    const outageEnds = Date.now() + 2_000;
    slack.setOutage(2_000);
    await rig.scan(["shop"]);
    const r = rig;
    const incidents = await eventually("the announcement", () => r.incidents().length > 0 && r.incidents(), 15_000);
    expect(incidents).toHaveLength(1);
    expect(slack.callsTo("chat.postMessage").filter((c) => c.body["channel"] === INCIDENT_CHANNEL && c.status === 503).length).toBeGreaterThan(0);
    expect(r.incidentPosts()[0]!.at).toBeGreaterThanOrEqual(outageEnds);
    await eventually("the details", () => r.thread(incidents[0]!.ts).length > 0, 10_000);
    expect(r.incidentPosts()).toHaveLength(2);
  });
});
