import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli, type CliIo } from "../../src/cli/run-cli.js";
import { runPreflightCommand } from "../../src/cli/run-preflight.js";
import type { PreflightReport } from "../../src/preflight/preflight-item.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";

const BOT_TOKEN = "xoxb-cli-preflight-0123456789";
let kube: FakeKubeApi;
let slack: FakeSlack;
let redis: TestRedis;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  [kube, slack, redis] = await Promise.all([startFakeKubeApi({ snapshot: path.resolve("examples/demo") }), startFakeSlack(), startTestRedis()]);
  dir = await mkdtemp(path.join(os.tmpdir(), "preflight-cli-"));
  kubeconfig = path.join(dir, "kubeconfig");
  await writeFile(kubeconfig, kube.kubeconfigYaml());
});
afterAll(async () => {
  await Promise.all([kube.close(), slack.close(), redis.close(), rm(dir, { recursive: true, force: true })]);
});

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({ write: (chunk: Buffer, _enc, done) => (chunks.push(chunk.toString()), done()) }),
    text: () => chunks.join(""),
  };
}

async function preflight(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const io: CliIo = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl, REDIS_URL: redis.url, PATH: "", FIXES_ENABLED: "false", ...env },
  };
  const code = await runCli(["preflight", ...args], io, { preflight: runPreflightCommand });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("mtls-doctor preflight", () => {
  test("exit 0 and a JSON report when everything required works; no token anywhere", async () => {
    const run = await preflight(["--kubeconfig", kubeconfig, "--output", "json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as PreflightReport;
    expect(report.ready).toBe(true);
    expect(report.items.find((i) => i.name === "redis")?.detail).toBe(`${redis.url} answered PONG`);
    expect(run.stdout).not.toContain(BOT_TOKEN);
  });

  test("exit 1 when something required is missing, with the rule to add in the text", async () => {
    kube.setOptions({ forbid: [{ verb: "list", resource: "services" }] });
    try {
      const run = await preflight(["--kubeconfig", kubeconfig]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/NOT READY: 1 required item missing/);
      expect(run.stdout).toContain(`- { apiGroups: [""], resources: ["services"], verbs: ["list"] } in a ClusterRole bound to the user of context fake`);
      expect(run.stdout).toMatch(/exit 1: a required item is missing\n$/);
    } finally {
      kube.setOptions({ forbid: [] });
    }
  });

  test("exit 2 for bad usage and for a configuration that cannot be read, nothing on stdout", async () => {
    for (const [args, env, message] of [
      [["extra"], {}, /preflight takes no positional arguments/],
      [["--output", "yaml"], {}, /--output must be one of text, json/],
      [["--kubeconfig", kubeconfig], { SLACK_BOT_TOKEN: "" }, /SLACK_BOT_TOKEN is not set/],
      [["--kubeconfig", path.join(dir, "missing")], {}, /does not exist/],
    ] as const) {
      const run = await preflight([...args], env);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(message);
    }
  });
});
