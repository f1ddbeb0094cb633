import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built command line, run as a user runs it: `node dist/main.js ...` (npm test builds first).
const ROOT = process.cwd();
const CLI = path.join(ROOT, "dist", "main.js");
const FIXTURE = path.join(ROOT, "test", "fixtures", "cli", "snapshot");
const NOW = ["--now", "2026-11-27T12:00:00Z"];

const SHARED = path.resolve(ROOT, "../shared");
const SCENARIOS = path.join(SHARED, "scenarios");
const SCENARIO_01 = existsSync(SCENARIOS)
  ? readdirSync(SCENARIOS)
      .filter((name) => name.startsWith("01-"))
      .map((name) => path.join(SCENARIOS, name))[0]
  : undefined;
if (SCENARIO_01 === undefined) console.warn(`NOTICE: ${SCENARIOS}/01-* is absent: skipping the CLI tests on scenario 01`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["NO_COLOR"];
  delete env["FORCE_COLOR"];
  return env;
}

function run(args: string[], env: NodeJS.ProcessEnv = baseEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests (npm test does)`);
  if (newestMtime(path.join(ROOT, "src")) > statSync(CLI).mtimeMs) {
    console.warn("NOTICE: dist/ is older than src/: the CLI tests run the last build; run `npm run build` to test the current source");
  }
});

const temporary: string[] = [];
afterAll(async () => {
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of the fixture snapshot with extra files, for inputs that must be refused. */
async function fixtureWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mtls-cli-"));
  temporary.push(dir);
  await cp(FIXTURE, dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

interface JsonReport {
  target: { service: string; namespace: string; ports: Record<string, unknown>[] } | null;
  source: { kind: string; name: string; namespace: string } | null;
  verdict: string;
  findings: { code: string; name: string; severity: string; resource: string; message: string; evidence: unknown[]; fixes: Record<string, unknown>[] }[];
  mtls: Record<string, unknown>[];
  proxies: { pod: string; certificates: unknown[] }[];
  checks: { name: string; status: string; detail: string }[];
}

function parseReport(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

const critical = ["check", "inventory.shop", "--from", "report.legacy", "--snapshot", FIXTURE, ...NOW];
const warningsOnly = ["check", "billing.plain", "--snapshot", FIXTURE, ...NOW];
const healthy = ["check", "inventory.shop", "--snapshot", FIXTURE, ...NOW];

describe("exit codes on a diagnosis", () => {
  it("0 when the diagnosis ran, even with critical findings (--fail-on defaults to never)", async () => {
    const result = await run(critical);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^CRITICAL/);
  });

  it("1 with --fail-on critical when a critical finding exists", async () => {
    const result = await run([...critical, "--fail-on", "critical"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("MTLS201");
  });

  it("0 with --fail-on critical when there are only warnings; 1 with --fail-on warning", async () => {
    const onCritical = await run([...warningsOnly, "--fail-on", "critical"]);
    expect(onCritical.code).toBe(0);
    expect(onCritical.stdout).toMatch(/^WARNING/);
    expect((await run([...warningsOnly, "--fail-on", "warning"])).code).toBe(1);
  });

  it("0 with --fail-on warning when nothing is wrong", async () => {
    const result = await run([...healthy, "--fail-on", "warning"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK/);
  });

  it("a service that does not exist is a finding in a normal report, not a usage error", async () => {
    const result = await run(["check", "inventroy.shop", "--snapshot", FIXTURE, "--output", "json", ...NOW]);
    expect(result.code).toBe(0);
    const report = parseReport(result.stdout);
    expect(report.findings.map((f) => f.code)).toContain("MTLS901");
    expect(report.findings.find((f) => f.code === "MTLS901")?.message).toContain("inventory");
  });
});

describe("defaults of check", () => {
  it("a target without a namespace is in `default`", async () => {
    const report = parseReport((await run(["check", "inventory", "--snapshot", FIXTURE, "--output", "json", ...NOW])).stdout);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "MTLS901", resource: "Service default/inventory" }));
  });

  it("--from without a namespace is looked up in the target's namespace", async () => {
    const report = parseReport((await run([...healthy, "--from", "report", "--output", "json"])).stdout);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "MTLS902", resource: "Workload shop/report" }));
  });
});

describe("exit code 2: bad usage or unreadable input, nothing on stdout", () => {
  it("a check without a service", async () => {
    const result = await run(["check", "--snapshot", FIXTURE]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/needs a service/);
    expect(result.stderr).toContain("usage:");
  });

  it("an unknown flag, named on stderr", async () => {
    const result = await run([...healthy, "--colour"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain("--colour");
  });

  it("an unknown command", async () => {
    const result = await run(["diagnose", "inventory.shop"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain("diagnose");
  });

  it("an invalid --output value", async () => {
    const result = await run([...healthy, "--output", "yaml"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain("--output");
  });

  it("a snapshot directory that does not exist, named on stderr", async () => {
    const missing = path.join(os.tmpdir(), `mtls-no-such-dir-${process.pid}`);
    const result = await run(["check", "inventory.shop", "--snapshot", missing]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(missing);
  });

  it("a snapshot YAML file that does not parse: stderr names the file and line", async () => {
    const dir = await fixtureWith({ "broken.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: broken\n labels: {}\n" });
    const result = await run(["check", "inventory.shop", "--snapshot", dir, "--output", "json"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(`${path.join(dir, "broken.yaml")}:5`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a snapshot JSON file that does not parse: stderr names the file", async () => {
    const dir = await fixtureWith({ "broken.json": '{\n  "kind": "List",\n  "items": [\n' });
    const result = await run(["check", "inventory.shop", "--snapshot", dir]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(path.join(dir, "broken.json"));
  });

  it("a proxy-status.txt that is not proxy-status output: stderr names the file, no stack trace", async () => {
    const dir = await fixtureWith({ "proxy-status.txt": "Error: failed to connect to istiod: context deadline exceeded\n" });
    const result = await run(["check", "inventory.shop", "--snapshot", dir]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain("proxy-status.txt");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("--output json", () => {
  it("prints one JSON report with the keys DESIGN.md gives", async () => {
    const result = await run([...critical, "--output", "json"]);
    expect(result.code).toBe(0);
    const report = parseReport(result.stdout);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(["target", "source", "verdict", "findings", "mtls", "proxies", "checks"]));
    expect(report.target).toEqual({ service: "inventory", namespace: "shop", ports: [{ name: "http", port: 80, targetPort: 8080 }] });
    expect(report.source).toEqual({ kind: "Deployment", name: "report", namespace: "legacy" });
    expect(report.verdict).toBe("critical");
    expect(report.mtls).toEqual([
      {
        port: 80,
        targetPort: 8080,
        serverMode: "STRICT",
        serverPolicy: "istio-system/default",
        clientSends: "PLAINTEXT",
        clientPolicy: null,
        outcome: "refused",
      },
    ]);
    const plaintext = report.findings.find((f) => f.code === "MTLS201");
    expect(plaintext).toMatchObject({ name: "PlaintextClientToStrictServer", severity: "critical", resource: "Deployment legacy/report" });
    for (const finding of report.findings) {
      expect(Object.keys(finding)).toEqual(expect.arrayContaining(["code", "name", "severity", "resource", "message", "evidence", "fixes"]));
      for (const fix of finding.fixes) {
        expect(Object.keys(fix)).toEqual(expect.arrayContaining(["title", "risk", "yaml", "targets"]));
        expect(["low", "medium", "high"]).toContain(fix["risk"]);
      }
    }
    expect(report.proxies).toEqual(expect.any(Array));
    expect(report.checks.length).toBeGreaterThan(0);
    for (const check of report.checks) {
      expect(Object.keys(check).sort()).toEqual(["detail", "name", "status"]);
      expect(["ran", "skipped", "failed"]).toContain(check.status);
    }
  });

  it("the verdict is the worst finding, and findings come worst first", async () => {
    const report = parseReport((await run([...critical, "--output", "json"])).stdout);
    const rank: Record<string, number> = { critical: 3, warning: 2, info: 1 };
    const ranks = report.findings.map((f) => rank[f.severity] ?? 0);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(parseReport((await run([...warningsOnly, "--output", "json"])).stdout).verdict).toBe("warning");
    expect(parseReport((await run([...healthy, "--output", "json"])).stdout)).toMatchObject({ verdict: "ok", findings: [] });
  });

  it("still prints the report when --fail-on is reached", async () => {
    const result = await run([...critical, "--output", "json", "--fail-on", "critical"]);
    expect(result.code).toBe(1);
    expect(parseReport(result.stdout).verdict).toBe("critical");
  });

  it("scan reports one mtls row per Service, naming it", async () => {
    const result = await run(["scan", "--namespace", "shop", "--namespace", "plain", "--snapshot", FIXTURE, "--output", "json", ...NOW]);
    expect(result.code).toBe(0);
    const report = parseReport(result.stdout);
    expect(report.target).toBeNull();
    expect(report.mtls.map((r) => r["service"]).sort()).toEqual(["plain/billing", "shop/inventory"]);
  });
});

describe("text output", () => {
  it("starts with the verdict and the target, and has no ANSI escapes when stdout is not a terminal", async () => {
    const result = await run(critical);
    expect(result.stdout.split("\n")[0]).toMatch(/^CRITICAL\s+inventory\.shop from Deployment legacy\/report$/);
    expect(result.stdout).toContain("MTLS201 PlaintextClientToStrictServer");
    expect(result.stdout).not.toContain("\x1b[");
  });

  const hasScript = process.platform === "linux" && spawnSync("script", ["--version"]).status === 0;
  if (!hasScript) console.warn("NOTICE: util-linux `script` is absent: skipping the CLI colour tests on a terminal");

  /** Runs the CLI on a pseudo-terminal (util-linux `script`), so that stdout is a TTY. */
  function runOnTerminal(args: string[], env: NodeJS.ProcessEnv): string {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const result = spawnSync("script", ["-q", "-e", "-c", command, "/dev/null"], { cwd: ROOT, env, encoding: "utf8" });
    return result.stdout;
  }

  it.skipIf(!hasScript)("uses colour on a terminal, and none when NO_COLOR is set", () => {
    expect(runOnTerminal(critical, baseEnv())).toContain("\x1b[");
    const plain = runOnTerminal(critical, { ...baseEnv(), NO_COLOR: "1" });
    expect(plain).toMatch(/^CRITICAL/);
    expect(plain).not.toContain("\x1b[");
  });
});

describe("help", () => {
  it.each([
    ["mtls-doctor help", ["help"]],
    ["mtls-doctor --help", ["--help"]],
    ["mtls-doctor (no arguments)", []],
  ])("`%s` prints usage on stdout and exits 0", async (_, argv) => {
    const result = await run(argv);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^usage:/);
    expect(result.stdout).toContain("mtls-doctor check <service>");
    expect(result.stdout).toContain("--fail-on critical|warning|never");
  });
});

describe.skipIf(SCENARIO_01 === undefined)("scenario 01: plaintext client to a STRICT service", () => {
  const snapshot = path.join(SCENARIO_01 ?? "", "snapshot");
  const args = ["check", "inventory.shop", "--from", "report-generator.legacy", "--snapshot", snapshot, ...NOW];

  it("diagnoses it with exit 0, and exit 1 with --fail-on critical", async () => {
    const result = await run(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^CRITICAL/);
    expect((await run([...args, "--fail-on", "critical"])).code).toBe(1);
  });

  it("reports what the scenario's case.json expects, and the mtls row it gives", async () => {
    const expected = JSON.parse(readFileSync(path.join(SCENARIO_01 ?? "", "case.json"), "utf8")) as {
      expect: { code: string; resource?: string }[];
      mtls: Record<string, unknown>[];
    };
    const report = parseReport((await run([...args, "--output", "json"])).stdout);
    for (const want of expected.expect) {
      const match = want.resource === undefined ? { code: want.code } : { code: want.code, resource: want.resource };
      expect(report.findings).toContainEqual(expect.objectContaining(match));
    }
    expect(report.mtls).toEqual(expected.mtls.map((row) => expect.objectContaining(row)));
  });
});
