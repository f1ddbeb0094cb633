import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";

const BOT_TOKEN = "xoxb-1111-2222-botsecretvalue";
const APP_TOKEN = "xapp-1-A1-3333-appsecretvalue";

function capture(): { lines: () => Record<string, unknown>[]; raw: () => string; logger: ReturnType<typeof createLogger> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = createLogger("debug", destination);
  return { logger, raw: () => chunks.join(""), lines: () => chunks.join("").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("the logger", () => {
  it("writes one JSON object a line, with level names and the app", () => {
    const { logger, lines } = capture();
    logger.info({ jobId: "diagnose-prod-1" }, "job started");
    expect(lines()).toEqual([expect.objectContaining({ level: "info", app: "mtls-doctor", jobId: "diagnose-prod-1", msg: "job started", time: expect.any(String) })]);
  });

  it("redacts a token in the message, in a known field, in any field and deep in an object", () => {
    const { logger, raw, lines } = capture();
    logger.info(`posting with ${BOT_TOKEN}`);
    logger.info({ token: "anything-at-all", headers: { authorization: `Bearer ${BOT_TOKEN}` } }, "request");
    logger.warn({ detail: `socket opened with ${APP_TOKEN}`, request: { body: { form: [`token=${BOT_TOKEN}`] } } }, "odd");
    logger.info({ config: { slack: { botToken: "not-a-token-shape" } } }, "config");
    logger.info({ redis: "redis://default:hunter2@redis:6379/0" }, "connecting");
    const text = raw();
    for (const secret of ["botsecretvalue", "appsecretvalue", "anything-at-all", "hunter2"]) expect(text).not.toContain(secret);
    const [message, known, anywhere, , url] = lines();
    expect(message?.["msg"]).toBe("posting with [redacted]");
    expect(known?.["token"]).toBe("[redacted]");
    expect(known?.["headers"]).toEqual({ authorization: "[redacted]" });
    expect(anywhere?.["detail"]).toBe("socket opened with [redacted]");
    expect(anywhere?.["request"]).toEqual({ body: { form: ["token=[redacted]"] } });
    expect(url?.["redis"]).toBe("redis://[redacted]@redis:6379/0");
  });

  it("logs errors with their type, message and codes, scrubbed, whatever was passed as err", () => {
    const { logger, lines } = capture();
    const slackError = Object.assign(new Error(`An API error occurred: not_in_channel (sent with ${BOT_TOKEN})`), { code: "slack_webapi_platform_error", data: { ok: false, error: "not_in_channel" } });
    logger.error({ err: slackError }, "post failed");
    logger.warn({ err: `connect ECONNREFUSED with ${BOT_TOKEN}` }, "redis");
    logger.warn({ err: { reason: APP_TOKEN } }, "odd error");
    const [first, second, third] = lines();
    expect(first?.["err"]).toMatchObject({ type: "Error", code: "slack_webapi_platform_error", slackError: "not_in_channel", message: "An API error occurred: not_in_channel (sent with [redacted])" });
    expect(String((first?.["err"] as { stack?: string }).stack)).not.toContain("botsecretvalue");
    expect(second?.["err"]).toBe("connect ECONNREFUSED with [redacted]");
    expect(third?.["err"]).toEqual({ reason: "[redacted]" });
  });

  it("survives cycles and very deep objects without dropping the line", () => {
    const { logger, lines } = capture();
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic["self"] = cyclic;
    let deep: Record<string, unknown> = { token: BOT_TOKEN };
    for (let i = 0; i < 20; i += 1) deep = { next: deep };
    logger.info({ cyclic, deep }, "shapes");
    const [line] = lines();
    expect(line?.["msg"]).toBe("shapes");
    expect(JSON.stringify(line)).not.toContain("botsecretvalue");
  });
});
