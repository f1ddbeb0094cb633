import { spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/approvals/audit-log.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.close();
});

function cli(args: string[]) {
  return spawnSync(process.execPath, ["dist/main.js", "audit", ...args], {
    encoding: "utf8",
    env: { ...process.env, REDIS_URL: redis.url, QUEUE_PREFIX: "auditcli" },
    timeout: 20_000,
  });
}

describe("mtls-doctor audit", () => {
  it("prints every decision since a time, as text or JSON", async () => {
    const client = new Redis(redis.url);
    const log = new AuditLog(client, "auditcli");
    await log.append({ at: "2026-11-20T10:00:00.000Z", event: "suggested", actor: "mtls-doctor", cluster: "prod", fixId: "C1-1_1", objects: ["DestinationRule shop/storefront"] });
    await log.append({ event: "approved", actor: "U0APPROVER", cluster: "prod", fixId: "C1-1_1", objects: ["DestinationRule shop/storefront"] });
    await log.append({ event: "refused", actor: "U0STRANGER", cluster: "prod", fixId: "C1-1_1", objects: ["DestinationRule shop/storefront"], reason: "not an approver" });
    client.disconnect();

    const text = cli([]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/approved\s+U0APPROVER\s+prod\s+DestinationRule shop\/storefront/);
    expect(text.stdout).toMatch(/refused.*not an approver/);

    const json = cli(["--since", "1h", "--output", "json"]);
    expect(json.status).toBe(0);
    const entries = JSON.parse(json.stdout) as { event: string }[];
    expect(entries.map((e) => e.event)).toEqual(["approved", "refused"]);
  });

  it("says so when Redis cannot be reached, with exit code 2", () => {
    const result = spawnSync(process.execPath, ["dist/main.js", "audit"], { encoding: "utf8", env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1" }, timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot reach Redis/);
    expect(result.stdout).toBe("");
  });

  it("rejects a --since that is neither a duration nor a time", () => {
    const result = cli(["--since", "yesterday"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--since "yesterday"/);
  });
});
