import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { APP_TOKEN, BOT_TOKEN, CHANNEL, jobCounts, parentPost, QUEUE_PREFIX, sendCommand, shownText, SIGNING_SECRET, startPipeline, verdictUpdate, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

const TEXT = "check storefront.shop from checkout";

/** The ts of the n-th parent message, once posted. */
async function parentTsOf(pipeline: Pipeline, n: number): Promise<string> {
  return String((await pipeline.slack.waitFor((calls) => parentPost(calls, n), 10_000)).response?.["ts"]);
}

describe("the same request while it is being diagnosed, and after", () => {
  it("shares one diagnosis among those who asked while it ran; a request after it finished is diagnosed afresh in its own thread", async () => {
    pipeline = await startPipeline({ kube: { latencyMs: 20 } });
    const { slack } = pipeline;
    const [first, second] = await Promise.all([sendCommand(pipeline, TEXT, "U0ALICE"), sendCommand(pipeline, TEXT, "U0BOB")]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const parents = [await parentTsOf(pipeline, 0), await parentTsOf(pipeline, 1)];
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

    // A third requester after the answer (the person may have just changed something): a fresh diagnosis, a full answer in their own thread.
    await sendCommand(pipeline, TEXT, "U0CAROL");
    const third = await parentTsOf(pipeline, 2);
    await slack.waitFor((calls) => verdictUpdate(calls, third), 15_000);
    expect(pipeline.collected).toHaveLength(2);
    expect(await jobCounts(pipeline.redis.url)).toMatchObject({ completed: 2 });
    const thirdThread = slack.threadReplies(CHANNEL, third);
    expect(thirdThread.length).toBe(full.length);
    expect(thirdThread.map(shownText).join("\n")).not.toMatch(/already running/);
  });

  it("requests racing the end of a diagnosis are each answered exactly once: joined and pointed to it, or diagnosed afresh", async () => {
    pipeline = await startPipeline({ kube: { latencyMs: 20 } });
    const { slack } = pipeline;
    await sendCommand(pipeline, TEXT, "U0FIRST");
    const firstParent = await parentTsOf(pipeline, 0);
    // Keep asking, every few milliseconds, from before the first answer until after it.
    const users: string[] = [];
    const sending: Promise<unknown>[] = [];
    let answered = false;
    let afterAnswer = 0;
    while (afterAnswer < 5 && users.length < 200) {
      const user = `U0RACE${users.length}`;
      users.push(user);
      const sent = sendCommand(pipeline, TEXT, user);
      sending.push(sent);
      answered ||= verdictUpdate(slack.calls, firstParent) !== undefined;
      if (answered) {
        await sent;
        afterAnswer += 1;
      } else await delay(15);
    }
    await Promise.all(sending);
    const parents = await slack.waitFor((calls) => {
      const all = users.map((_, i) => parentPost(calls, i + 1));
      return all.every((p) => p !== undefined) ? all.map((p) => String(p?.response?.["ts"])) : undefined;
    }, 15_000);
    await slack.waitFor((calls) => parents.every((ts) => verdictUpdate(calls, ts)), 30_000);
    // Let any reply that would come twice arrive before counting.
    await delay(500);
    for (const ts of parents) {
      const replies = slack.threadReplies(CHANNEL, ts).map(shownText);
      const pointers = replies.filter((r) => /already running/.test(r));
      if (pointers.length > 0) expect(replies).toEqual(pointers.slice(0, 1));
      else expect(replies.filter((r) => r.includes("storefront") && /MTLS203/.test(r)).length).toBeGreaterThan(0);
    }
    // Some requests came after the first answer: they were diagnosed again, not pointed to the old one.
    expect(pipeline.collected.length).toBeGreaterThan(1);
    const counts = await jobCounts(pipeline.redis.url);
    expect(counts["completed"]).toBe(pipeline.collected.length);
    const fullAnswers = [firstParent, ...parents].filter((ts) => !slack.threadReplies(CHANNEL, ts).some((r) => /already running/.test(shownText(r))));
    expect(fullAnswers).toHaveLength(pipeline.collected.length);
    // And some joined the first diagnosis while it ran: the race had both sides.
    expect(parents.length - (fullAnswers.length - 1)).toBeGreaterThan(0);
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
