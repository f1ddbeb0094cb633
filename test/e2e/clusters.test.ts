import { afterEach, describe, expect, it } from "vitest";
import { ephemeralAnswer, jobCounts, startPipeline, type EphemeralAnswer, type Pipeline } from "./pipeline-harness.js";

const running: Pipeline[] = [];
afterEach(async () => {
  // Workers that share the first pipeline's fakes stop first.
  for (const p of running.reverse()) await p.stop();
  running.length = 0;
});

/** The requester's answer (it needs Redis, so it comes through response_url after the ack). */
async function command(p: Pipeline, text: string): Promise<{ ack: EphemeralAnswer; ms: number }> {
  const { status, answer, ms } = await ephemeralAnswer(p, text);
  expect(status).toBe(200);
  return { ack: answer, ms };
}

describe("clusters and their workers", () => {
  it("lists the clusters with a live worker, and forgets a worker once it stops", async () => {
    const bot = await startPipeline();
    running.push(bot);
    const staging = await startPipeline({ role: "worker", redis: bot.redis, slack: bot.slack, env: { CLUSTER_NAME: "staging" } });
    running.push(staging);

    const both = await command(bot, "clusters");
    expect(both.ack.response_type).toBe("ephemeral");
    expect(both.ack.text).toBe("2 of 2 cluster(s) have a running worker");
    const listed = JSON.stringify(both.ack.blocks);
    expect(listed).toContain("*prod*");
    expect(listed).toContain("*staging*");

    await staging.stop();
    running.pop();
    const one = await command(bot, "clusters");
    expect(one.ack.text).toBe("1 of 1 cluster(s) have a running worker");
    expect(JSON.stringify(one.ack.blocks)).not.toContain("staging");

    // The cluster whose worker left is now answered at once, and nothing is queued for it.
    const gone = await command(bot, "check storefront.shop cluster staging");
    expect(gone.ms).toBeLessThan(1_000);
    expect(gone.ack.response_type).toBe("ephemeral");
    expect(gone.ack.text).toMatch(/No mtls-doctor worker is running for cluster `staging` \(live clusters: prod\)/);
    expect(bot.slack.callsTo("chat.postMessage")).toEqual([]);
    expect(Object.values(await jobCounts(bot.redis.url, "staging")).every((n) => n === 0)).toBe(true);
  });

  it("shows the worker's start-up preflight per cluster, and logs each item as a structured line", async () => {
    const bot = await startPipeline({ kube: { forbid: [{ verb: "exec" }] } });
    running.push(bot);
    await expect
      .poll(async () => JSON.stringify((await command(bot, "clusters")).ack.blocks), { timeout: 10_000, interval: 200 })
      .toMatch(/preflight: ⚠️ ready, \d+ optional items? missing/);
    const listed = JSON.stringify((await command(bot, "clusters")).ack.blocks);
    expect(listed).toContain("optional `get,create pods/exec`: Helm value proxyInspection.exec=true");
    const lines = bot.logs.flatMap((l) => l.split("\n")).filter((l) => l.includes('"preflight"')).map((l) => JSON.parse(l) as { level: string; msg: string; preflight: { name?: string; status?: string; ready?: boolean } });
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "preflight: get,create pods/exec missing", preflight: expect.objectContaining({ name: "get,create pods/exec", status: "missing", required: false }) }));
    expect(lines).toContainEqual(expect.objectContaining({ level: "info", msg: "preflight: scope chat:write ok" }));
    expect(lines.at(-1)).toMatchObject({ level: "info", preflight: { ready: true } });
    expect(bot.logs.join("")).not.toContain("xoxb-test-token");
  });

  it("answers at once for a cluster no worker ever served", async () => {
    const bot = await startPipeline();
    running.push(bot);
    const unknown = await command(bot, "check storefront.shop cluster nowhere");
    expect(unknown.ms).toBeLessThan(1_000);
    expect(unknown.ack.text).toMatch(/No mtls-doctor worker is running for cluster `nowhere`/);
    expect(unknown.ack.text).toMatch(/start a worker in that cluster/);
    expect(bot.slack.callsTo("chat.postMessage")).toEqual([]);
    expect(Object.values(await jobCounts(bot.redis.url, "nowhere")).every((n) => n === 0)).toBe(true);
    expect(bot.collected).toEqual([]);
  });

  it("says so when no cluster has a worker at all", async () => {
    const bot = await startPipeline({ role: "bot" });
    running.push(bot);
    const none = await command(bot, "clusters");
    expect(none.ack.text).toBe("No cluster has a running worker");
    const check = await command(bot, "check storefront.shop");
    expect(check.ack.text).toMatch(/No mtls-doctor worker is running for cluster `prod` \(live clusters: none\)/);
  });
});
