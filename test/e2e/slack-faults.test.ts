import { afterEach, describe, expect, it } from "vitest";
import { CHANNEL, jobCounts, metricValue, parentPost, sendCommand, shownText, startPipeline, verdictUpdate, type Pipeline } from "./pipeline-harness.js";
import { threadSteps } from "./thread-sequence.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

const TEXT = "check storefront.shop from checkout";

/** Starts a pipeline whose API server is slow enough that a fault can be armed after the parent is posted and before the worker replies. */
async function startAndAsk(): Promise<{ p: Pipeline; parentTs: string }> {
  pipeline = await startPipeline({ kube: { latencyMs: 40 } });
  const p = pipeline;
  expect((await sendCommand(p, TEXT)).status).toBe(200);
  const parent = await p.slack.waitFor((calls) => parentPost(calls), 5_000);
  expect(p.slack.callsTo("chat.postMessage").filter((c) => c.body["thread_ts"] !== undefined)).toEqual([]);
  return { p, parentTs: String(parent.response?.["ts"]) };
}

function threadPosts(p: Pipeline, parentTs: string) {
  return p.slack.callsTo("chat.postMessage").filter((c) => c.body["thread_ts"] === parentTs);
}

describe("Slack faults while the worker answers", () => {
  it("honours 429 Retry-After on chat.postMessage: the reply comes after the wait, once, and the job does not fail", async () => {
    const { p, parentTs } = await startAndAsk();
    p.slack.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    await p.slack.waitFor((calls) => verdictUpdate(calls, parentTs), 15_000);

    const posts = threadPosts(p, parentTs);
    const limited = posts.find((c) => c.status === 429);
    expect(limited).toBeDefined();
    const retried = posts.find((c) => c.status === 200 && c.at > (limited?.at ?? 0));
    expect(retried?.body["text"]).toBe(limited?.body["text"]);
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
    const texts = p.slack.threadReplies(CHANNEL, parentTs).map((m) => m.text);
    expect(texts.filter((t) => t === limited?.body["text"])).toHaveLength(1);
    expect(p.collected).toHaveLength(1);
    expect(await jobCounts(p.redis.url)).toMatchObject({ completed: 1, failed: 0, delayed: 0 });
    // The client's own warning went to the structured log, not to the console.
    const warnings = p.logs.map((l) => JSON.parse(l) as { level: string; component?: string; msg: string }).filter((l) => l.component === "slack" && l.level === "warn");
    expect(warnings.some((l) => /rate limit/i.test(l.msg))).toBe(true);
  });

  it("a job retried after posting some replies does not post any of them twice", async () => {
    const { p, parentTs } = await startAndAsk();
    // The first fix's YAML upload fails after the summary, the findings and the first fix reply were
    // posted; Slack's own error is not retried by the client, so the job fails and BullMQ retries it.
    p.slack.failNext("files.getUploadURLExternal", { error: "internal_error" });
    await p.slack.waitFor((calls) => verdictUpdate(calls, parentTs), 15_000);

    expect(p.collected).toHaveLength(2);
    // Every message the thread shows, file shares apart, is there once.
    const texts = p.slack.threadReplies(CHANNEL, parentTs).filter((m) => m.files === undefined).map(shownText);
    expect(texts.length).toBeGreaterThan(5);
    expect(new Set(texts).size).toBe(texts.length);
    const steps = threadSteps(p.slack.calls, CHANNEL, parentTs);
    expect(steps.filter((s) => s === "summary")).toHaveLength(1);
    const fixes = steps.filter((s) => s === "fix").length;
    expect(fixes).toBeGreaterThan(1);
    expect(p.slack.uploads().filter((u) => u.thread_ts === parentTs)).toHaveLength(fixes);
    // Retried quietly: the requester never saw an error on the parent.
    const updates = p.slack.callsTo("chat.update").filter((c) => c.body["ts"] === parentTs);
    expect(updates.some((c) => String(c.body["text"]).startsWith("Could not"))).toBe(false);
    expect(await jobCounts(p.redis.url)).toMatchObject({ completed: 1, failed: 0 });
    await expect.poll(() => metricValue(p, 'mtls_doctor_jobs_total{queue="diagnose-prod",status="completed"}')).toBe(1);
    expect(await metricValue(p, 'mtls_doctor_jobs_total{queue="diagnose-prod",status="retried"}')).toBe(1);
    expect(await metricValue(p, 'mtls_doctor_jobs_total{queue="diagnose-prod",status="failed"}')).toBeUndefined();
  });

  it("does not retry what retrying cannot fix: a Slack refusal fails the job at once and the parent says why", async () => {
    const { p, parentTs } = await startAndAsk();
    p.slack.failNext("chat.postMessage", { error: "is_archived" });
    const failure = await p.slack.waitFor(
      (calls) => calls.find((c) => c.method === "chat.update" && c.body["ts"] === parentTs && String(c.body["text"]).startsWith("Could not")),
      10_000,
    );
    expect(String(failure.body["text"])).toMatch(/Slack refused the request \(is_archived\)/);
    await expect.poll(() => jobCounts(p.redis.url), { timeout: 5_000 }).toMatchObject({ failed: 1, delayed: 0, completed: 0 });
    expect(p.collected).toHaveLength(1);
    expect(await metricValue(p, 'mtls_doctor_jobs_total{queue="diagnose-prod",status="failed"}')).toBe(1);
    expect(await metricValue(p, 'mtls_doctor_jobs_total{queue="diagnose-prod",status="retried"}')).toBeUndefined();
  });
});
