import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, redactedConfig } from "../src/config.js";

const BOT_TOKEN = "xoxb-1111-2222-botsecretvalue";
const SIGNING_SECRET = "signing-secret-value-0123456789";
const APP_TOKEN = "xapp-1-A1-3333-appsecretvalue";

function problemsOf(env: NodeJS.ProcessEnv, role: "bot" | "worker" | "all" = "all"): ConfigError {
  try {
    loadConfig(env, role);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("fills the documented defaults", () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET }, "all");
    expect(config).toMatchObject({
      slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET },
      port: 3000,
      redis: { url: "redis://127.0.0.1:6379" },
      queuePrefix: "mtls",
      clusterName: "default",
      reactions: { approve: "white_check_mark", reject: "x", rollback: "rewind" },
      fixesEnabled: true,
      logLevel: "info",
      metricsPort: 9464,
    });
    expect(config.slack.appToken).toBeUndefined();
  });

  it("needs no signing secret in Socket Mode, and none at all for a worker", () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN }, "bot").slack.appToken).toBe(APP_TOKEN);
    expect(loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, CLUSTER_NAME: "prod" }, "worker").clusterName).toBe("prod");
    expect(problemsOf({ SLACK_BOT_TOKEN: BOT_TOKEN }, "bot").problems).toEqual([
      "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (or set SLACK_APP_TOKEN for Socket Mode)",
    ]);
  });

  it("reports every problem at once, one line each", () => {
    const err = problemsOf({
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      PORT: "99999",
      REDIS_URL: "localhost:6379",
      QUEUE_PREFIX: "a:b",
      CLUSTER_NAME: "Prod_1",
      INCIDENT_CHANNEL: "#incidents",
      LOG_LEVEL: "loud",
      FIXES_ENABLED: "maybe",
      APPROVER_USER_IDS: "U0ALICE,bob",
    });
    expect([...err.problems].sort()).toEqual(
      [
        "SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)",
        "REDIS_URL must start with redis:// or rediss://",
        `QUEUE_PREFIX "a:b" may not contain ':' or spaces`,
        `CLUSTER_NAME "Prod_1" must be a lower-case name (letters, digits, '-'), at most 63 characters`,
        `INCIDENT_CHANNEL "#incidents" is not a channel ID like C0123456789 (use the ID, not the name)`,
        `FIXES_ENABLED must be true or false, got "maybe"`,
        `LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"`,
        `PORT must be a port number (1-65535), got "99999"`,
        `APPROVER_USER_IDS: "bob" is not a Slack ID like U0123456789`,
      ].sort(),
    );
    // The message a person reads: a heading, then exactly one line per problem.
    const lines = err.message.split("\n");
    expect(lines[0]).toBe("invalid configuration:");
    expect(lines.slice(1)).toHaveLength(err.problems.length);
    expect(lines.slice(1).every((l) => l.startsWith("  - "))).toBe(true);
  });

  it("never quotes a secret back, even one put in the wrong variable", () => {
    const err = problemsOf({
      SLACK_BOT_TOKEN: "xoxp-4444-usersecretvalue",
      SLACK_APP_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      REDIS_URL: "http://default:hunter2@redis:6379",
      INCIDENT_CHANNEL: APP_TOKEN,
      SLACK_API_URL: "ftp://user:apipassword@slack.example",
    });
    expect(err.problems).toHaveLength(5);
    for (const secret of ["usersecretvalue", "botsecretvalue", "hunter2", "appsecretvalue", "apipassword", SIGNING_SECRET]) {
      expect(err.message).not.toContain(secret);
    }
    expect(err.message).toContain("[redacted]");
    expect(err.message.split("\n")).toHaveLength(err.problems.length + 1);
  });

  it("gives a loggable copy without secrets or Redis credentials", () => {
    const config = loadConfig(
      { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_APP_TOKEN: APP_TOKEN, REDIS_URL: "rediss://default:hunter2@redis.example:6380/0" },
      "all",
    );
    const shown = JSON.stringify(redactedConfig(config));
    for (const secret of [BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, "hunter2"]) expect(shown).not.toContain(secret);
    expect(shown).toContain("rediss://[redacted]@redis.example:6380/0");
  });
});
