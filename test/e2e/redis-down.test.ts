import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { ephemeralAnswer, opsUrl, parentPost, sendCommand, startPipeline, verdictUpdate, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.redis.start().catch(() => undefined);
  await pipeline?.stop();
  pipeline = undefined;
});

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

/** Polls until `probe` holds (no fixed sleeps); fails with `what` after `timeoutMs`. */
async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await delay(50);
  }
}

describe("Redis down", () => {
  it("answers the slash command clearly within 3 s, posts nothing, and recovers when Redis is back", async () => {
    pipeline = await startPipeline();
    const p = pipeline;
    expect(await status(opsUrl(p, "/readyz"))).toBe(200);
    await p.redis.stop();

    const { status: httpStatus, answer: ack, ms } = await ephemeralAnswer(p, "check storefront.shop");
    expect(ms).toBeLessThan(3_000);
    expect(httpStatus).toBe(200);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toMatch(/cannot reach its queue \(Redis\)/);
    expect(ack.text).toMatch(/nothing was started/i);
    expect(p.slack.callsTo("chat.postMessage")).toEqual([]);

    // Alive, but not ready: a load balancer stops sending work, the pod is not restarted.
    expect(await status(opsUrl(p, "/healthz"))).toBe(200);
    expect(await status(opsUrl(p, "/readyz"))).toBe(503);
    const metrics = await (await fetch(opsUrl(p, "/metrics"))).text();
    expect(metrics).toMatch(/^mtls_doctor_commands_total\{command="check",outcome="redis-down"\} 1$/m);

    // Redis comes back empty (no persistence): the worker announces itself again and work resumes.
    await p.redis.start();
    await eventually(async () => (await status(opsUrl(p, "/readyz"))) === 200, "/readyz back to 200");
    await eventually(async () => (await ephemeralAnswer(p, "clusters")).answer.text?.includes("1 of 1") === true, "the worker for prod listed again", 8_000);
    const again = await sendCommand(p, "check storefront.shop");
    expect(again.status).toBe(200);
    const parent = await p.slack.waitFor((calls) => parentPost(calls), 5_000);
    await p.slack.waitFor((calls) => verdictUpdate(calls, String(parent.response?.["ts"])), 15_000);
  });
});
