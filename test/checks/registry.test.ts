import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import type { ClusterSnapshot, Input } from "../../src/cluster/snapshot.js";
import { CODES } from "../../src/checks/codes.js";
import { CHECKS } from "../../src/checks/registry.js";
import type { Check } from "../../src/checks/types.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import { SHARED_DIR } from "../support/shared-dir.js";

const CHECKS_DIR = path.resolve("src/checks");

/**
 * Inputs a check reads only on a path no fixture reaches, each with the reason it is declared:
 * envoy-config tells sidecar from ambient target pods (namespace labels) when a target pod has no
 * sidecar and the source's config dump is present, which no snapshot here combines.
 */
const READ_ON_UNREACHED_PATHS: Record<string, Input[]> = { "envoy-config": ["namespaces"] };
const NOW = new Date("2026-11-27T12:00:00Z");

function isCheck(value: unknown): value is Check {
  const v = value as Partial<Check>;
  return typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.run === "function" && Array.isArray(v.inputs) && Array.isArray(v.codes);
}

/** Every snapshot directory the project has, with the requests its cases make (and a scan of each). */
function fixtureRuns(): { dir: string; requests: DiagnoseRequest[] }[] {
  const runs: { dir: string; requests: DiagnoseRequest[] }[] = [];
  const toRequest = (target: string, from?: string): DiagnoseRequest => {
    const [service = "", namespace = "default"] = target.split(".");
    const request: DiagnoseRequest = { mode: "check", target: { service, namespace }, now: NOW };
    if (from) {
      const [name = "", ns = namespace] = from.split(".");
      request.from = { name, namespace: ns };
    }
    return request;
  };
  const fixtures = path.resolve("test/fixtures/checks");
  for (const topic of readdirSync(fixtures)) {
    const cases = parse(readFileSync(path.join(fixtures, topic, "cases.yaml"), "utf8")) as { args: { mode: string; target?: string; from?: string } }[];
    const requests = cases.map((c) => (c.args.mode === "scan" || !c.args.target ? ({ mode: "scan", namespaces: [], now: NOW } as DiagnoseRequest) : toRequest(c.args.target, c.args.from)));
    runs.push({ dir: path.join(fixtures, topic, "snapshot"), requests });
  }
  const scenarios = path.join(SHARED_DIR, "scenarios");
  if (existsSync(scenarios)) {
    for (const name of readdirSync(scenarios)) {
      const casePath = path.join(scenarios, name, "case.json");
      if (!existsSync(casePath)) continue;
      const args = (JSON.parse(readFileSync(casePath, "utf8")) as { args: string[] }).args;
      const from = args.includes("--from") ? args[args.indexOf("--from") + 1] : undefined;
      runs.push({ dir: path.join(scenarios, name, "snapshot"), requests: [toRequest(args[1] ?? "", from)] });
    }
  }
  runs.push({ dir: path.resolve("examples/demo"), requests: [toRequest("storefront.shop", "checkout.shop")] });
  for (const run of runs) run.requests.push({ mode: "scan", namespaces: [], now: NOW });
  return runs;
}

// The meta-tests of Istio's analyzers, for our checks: every check registered, names unique, every
// code emitted by exactly one check, and the inputs a check declares are the inputs it reads.
describe("the check registry", () => {
  it("registers every check defined in src/checks", async () => {
    const defined: string[] = [];
    for (const file of readdirSync(CHECKS_DIR).filter((f) => f.endsWith(".ts"))) {
      const mod = (await import(path.join(CHECKS_DIR, file))) as Record<string, unknown>;
      for (const value of Object.values(mod)) if (isCheck(value)) defined.push(value.name);
    }
    expect(defined.length).toBeGreaterThan(0);
    expect(new Set(defined)).toEqual(new Set(CHECKS.map((c) => c.name)));
  });

  it("has unique kebab-case names", () => {
    const names = CHECKS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it("emits every code of the table from exactly one check", () => {
    const owners = new Map<string, string[]>();
    for (const check of CHECKS) for (const code of check.codes) owners.set(code, [...(owners.get(code) ?? []), check.name]);
    for (const code of Object.keys(CODES)) expect(owners.get(code), code).toHaveLength(1);
    expect([...owners.keys()].sort()).toEqual(Object.keys(CODES).sort());
  });

  it("reads exactly the inputs each check declares, over every fixture", async () => {
    const read = new Map<string, Set<Input>>(CHECKS.map((c) => [c.name, new Set<Input>()]));
    for (const { dir, requests } of fixtureRuns()) {
      const snapshot: ClusterSnapshot = await loadSnapshotDir(dir);
      for (const request of requests) {
        const report = diagnose(snapshot, request, { onInputsRead: (check, inputs) => inputs.forEach((i) => read.get(check.name)?.add(i)) });
        // A check that reads an undeclared input fails (UndeclaredInputError): that shows here.
        expect(report.checks.filter((c) => c.status === "failed"), dir).toEqual([]);
      }
    }
    const mismatches = CHECKS.flatMap((check) => {
      const got = [...new Set([...(read.get(check.name) ?? []), ...(READ_ON_UNREACHED_PATHS[check.name] ?? [])])].sort();
      const declared = [...check.inputs].sort();
      return JSON.stringify(got) === JSON.stringify(declared) ? [] : [`${check.name}: declares ${declared.join(",")} but reads ${got.join(",")}`];
    });
    expect(mismatches).toEqual([]);
  });
});
