import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { APP_TOKEN, BOT_TOKEN, CHANNEL, jobCounts, parentPost, QUEUE_PREFIX, sendCommand, shownText, SIGNING_SECRET, startPipeline, verdictUpdate, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

const TEXT = "check storefront.shop from checkout";

describe("the same request within the dedupe window", () => {
  it("runs once; the requester who joined while it ran and the one who came after it finished both get the answer", async () => {
    pipeline = await startPipeline({ kube: { latencyMs: 20 } });
    const { slack } = pipeline;
    const [first, second] = await Promise.all([sendCommand(pipeline, TEXT, "U0ALICE"), sendCommand(pipeline, TEXT, "U0BOB")]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const parents = await slack.waitFor((calls) => {
      const both = [parentPost(calls, 0), parentPost(calls, 1)];
      return both.every((p) => p !== undefined) ? both.map((p) => String(p?.response?.["ts"])) : undefined;
    });
    const verdicts = await slack.waitFor((calls) => {
      const found = parents.map((ts) => verdictUpdate(calls, ts));
      return found.every((v) => v !== undefined) ? found : undefined;
    }, 15_000);
    expect(verdicts.map((v) => String(v?.body["text"]))).toEqual([expect.stringMatching(/critical/), expect.stringMatching(/critical/)]);

    // One diagnosis, one full answer; the other thread holds a pointer to it.
    expect(pipeline.collected).toHaveLength(1);
    expect(await jobCounts(pipeline.redis.url)).toMatchObject({ completed: 1, failed: 0 });
    const threads = parents.map((ts) => slack.threadReplies(CHANNEL, ts));
    const [full, pointer] = threads[0]!.length > threads[1]!.length ? [threads[0]!, threads[1]!] : [threads[1]!, threads[0]!];
    expect(full.length).toBeGreaterThan(3);
    expect(pointer).toHaveLength(1);
    expect(shownText(pointer[0]!)).toMatch(/already running/);
    expect(shownText(pointer[0]!)).toMatch(/critical/);

    // A third requester after the answer: answered at once from the stored answer, still not run again.
    await sendCommand(pipeline, TEXT, "U0CAROL");
    const third = String((await slack.waitFor((calls) => parentPost(calls, 2))).response?.["ts"]);
    await slack.waitFor((calls) => verdictUpdate(calls, third) && slack.threadReplies(CHANNEL, third).length === 1);
    expect(shownText(slack.threadReplies(CHANNEL, third)[0]!)).toMatch(/already running|was just answered/);
    expect(pipeline.collected).toHaveLength(1);
    expect(await jobCounts(pipeline.redis.url)).toMatchObject({ completed: 1 });
  });

  it("when the shared run fails for good, everyone who asked is told, and asking again runs it again", async () => {
    pipeline = await startPipeline({ kube: { latencyMs: 20 } });
    const { slack } = pipeline;
    await Promise.all([sendCommand(pipeline, TEXT, "U0ALICE"), sendCommand(pipeline, TEXT, "U0BOB")]);
    const parents = await slack.waitFor((calls) => {
      const both = [parentPost(calls, 0), parentPost(calls, 1)];
      return both.every((p) => p !== undefined) ? both.map((p) => String(p?.response?.["ts"])) : undefined;
    });
    // The worker's first reply is refused for good (the channel was archived meanwhile).
    slack.failNext("chat.postMessage", { error: "is_archived" });
    const failures = await slack.waitFor((calls) => {
      const found = parents.map((ts) => calls.find((c) => c.method === "chat.update" && c.body["ts"] === ts && String(c.body["text"]).startsWith("Could not")));
      return found.every((f) => f !== undefined) ? found : undefined;
    }, 10_000);
    for (const failure of failures) expect(String(failure?.body["text"])).toMatch(/is_archived/);
    expect(pipeline.collected).toHaveLength(1);

    await sendCommand(pipeline, TEXT, "U0CAROL");
    const third = String((await slack.waitFor((calls) => parentPost(calls, 2))).response?.["ts"]);
    await slack.waitFor((calls) => verdictUpdate(calls, third), 15_000);
    expect(String(slack.message(CHANNEL, third)?.text)).toMatch(/critical/);
    expect(pipeline.collected).toHaveLength(2);
    expect(await jobCounts(pipeline.redis.url)).toMatchObject({ completed: 1, failed: 1 });
  });

});

describe("job data in Redis", () => {
  it("keeps tokens, secrets and response URLs out of Redis: the job holds names and IDs only", async () => {
    pipeline = await startPipeline({ kube: { latencyMs: 20 } });
    await Promise.all([sendCommand(pipeline, TEXT, "U0ALICE"), sendCommand(pipeline, TEXT, "U0BOB")]);
    const parent = await pipeline.slack.waitFor((calls) => parentPost(calls));
    await pipeline.slack.waitFor((calls) => verdictUpdate(calls, String(parent.response?.["ts"])), 15_000);

    const client = new Redis(pipeline.redis.url);
    try {
      const jobKeys = (await client.keys(`${QUEUE_PREFIX}:diagnose-prod:*`)).filter((k) => /:diagnose-prod:diagnose-/.test(k) && !/:(lock|logs)$/.test(k));
      expect(jobKeys).toHaveLength(1);
      const job = await client.hgetall(jobKeys[0]!);
      const data = JSON.parse(job["data"] ?? "{}") as Record<string, unknown>;
      expect(Object.keys(data).sort()).toEqual(["cluster", "origin", "requestKey", "requestedAt", "target", "thread"]);
      expect(data["thread"]).toEqual({ channel: CHANNEL, parentTs: expect.any(String), userId: "U0ALICE" });

      // Everything in Redis, not only the job: no token, signing secret or response URL anywhere.
      const dump: string[] = [];
      for (const key of await client.keys("*")) {
        const type = await client.type(key);
        if (type === "string") dump.push((await client.get(key)) ?? "");
        else if (type === "hash") dump.push(JSON.stringify(await client.hgetall(key)));
        else if (type === "list") dump.push(JSON.stringify(await client.lrange(key, 0, -1)));
        else if (type === "zset") dump.push(JSON.stringify(await client.zrange(key, "0", "-1")));
        else if (type === "set") dump.push(JSON.stringify(await client.smembers(key)));
        else if (type === "stream") dump.push(JSON.stringify(await client.xrange(key, "-", "+")));
      }
      const everything = dump.join("\n");
      expect(everything.length).toBeGreaterThan(0);
      for (const secret of [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, "xoxb-", "/respond/", "response_url"]) expect(everything).not.toContain(secret);
    } finally {
      client.disconnect();
    }
  });
});
