import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX_CLI = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const RUN_LIMIT_MS = 25_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    // SIGTERM first: the demo stops its redis-server and servers on it.
    const timer = setTimeout(() => child.kill("SIGTERM"), RUN_LIMIT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The environment of a run: ours without colour settings or a Redis of ours, plus `extra`. */
function demoEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env["FORCE_COLOR"];
  return env;
}

const cleanups: string[] = [];
afterEach(async () => {
  for (const dir of cleanups.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** The log directory the demo printed, so that the test leaves nothing in the temp directory. */
function forgetLogDir(stdout: string): void {
  const logPath = /Logs\s+(\S+mtls-doctor\.log)/.exec(stdout)?.[1];
  if (logPath === undefined) return;
  const dir = path.dirname(logPath);
  if (path.dirname(dir) === os.tmpdir() && path.basename(dir).startsWith("mtls-doctor-demo-")) cleanups.push(dir);
}

describe("npm run demo (demo/run-demo.ts as a child process)", () => {
  it("runs the whole loop on examples/demo and prints the thread: verdict, findings, fix YAML, timing", async () => {
    const result = await run("npx", ["tsx", "demo/run-demo.ts"], demoEnv({ NO_COLOR: "1" }));
    forgetLogDir(result.stdout);
    expect(result.code, `stderr:\n${result.stderr}`).toBe(0);
    expect(result.stderr).not.toContain("mtls-doctor demo");
    const out = result.stdout;
    expect(out).not.toContain("\u001b");
    expect(out).toContain("/mtls check storefront.shop from checkout");
    // The parent's final text, then the thread.
    expect(out).toMatch(/🔴 storefront\.shop from checkout\.shop on prod: critical — 3 critical, 3\s+warning · worst: MTLS203/);
    // What the proxies counted: the observed column, the refusals joined to MTLS203, the failures nothing explains.
    expect(out).toMatch(/9090 → 9090 +STRICT \(shop\/default\) +← +DISABLE \(shop\/storefront\) +❌ refused +· seen: 424 failed · 0 plaintext · 0 mTLS \(since proxy start\)/);
    expect(out).toContain("MTLS701 HandshakeFailuresObserved");
    expect(out).toContain("Certificates of the inspected proxies");
    expect(out).not.toMatch(/connection refused/);
    expect(out).toContain("MTLS203 DestinationRuleDisablesMtls");
    expect(out).toContain("MTLS301 AuthorizationDeniesSource");
    expect(out).toMatch(/^ {4,}kind: DestinationRule$/m);
    expect(out).toMatch(/📎 mtls203-storefront\.yaml \(\d+ lines\)/);
    expect(out).toMatch(/Acknowledged in \d+ ms, answered in \d+ ms/);
    expect(out.indexOf("critical — 3 critical")).toBeLessThan(out.indexOf("reply 1 of"));
    expect(result.ms).toBeLessThan(RUN_LIMIT_MS);
  }, 30_000);

  it("without redis-server or REDIS_URL, says how to install it and exits non-zero", async () => {
    const emptyPath = await mkdtemp(path.join(os.tmpdir(), "mtls-demo-path-"));
    cleanups.push(emptyPath);
    const env = demoEnv({ NO_COLOR: "1", PATH: emptyPath });
    delete env["REDIS_URL"];
    // node and tsx by absolute path: nothing else is on PATH.
    const result = await run(process.execPath, [TSX_CLI, "demo/run-demo.ts"], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("redis-server is not installed: apt-get install -y redis-server (or set REDIS_URL)");
  }, 30_000);
});
