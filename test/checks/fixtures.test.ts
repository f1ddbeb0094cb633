// One table-driven test over YAML fixtures, as Istio's analyzers are tested: every directory under
// test/fixtures/checks/ is a snapshot (snapshot/) and the cases run on it (cases.yaml). Each fixture
// holds passing and failing objects side by side, so a check that reports everything fails here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { CODES } from "../../src/checks/codes.js";
import type { Finding } from "../../src/checks/finding.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import type { MtlsRow, Report } from "../../src/report/report.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "checks");
const NOW = new Date("2026-11-27T12:00:00Z");

/** The codes this table must cover: each fired by some case and forbidden by another. */
const COVERED_CODES = [
  "MTLS101", "MTLS102", "MTLS103", "MTLS105", "MTLS106", "MTLS107",
  "MTLS201", "MTLS202", "MTLS203", "MTLS204", "MTLS205", "MTLS206", "MTLS207", "MTLS208", "MTLS209",
  "MTLS210", "MTLS211", "MTLS212",
  "MTLS104", "MTLS401", "MTLS403",
  "MTLS301", "MTLS302", "MTLS303", "MTLS304",
  "MTLS501", "MTLS502",
  "MTLS701", "MTLS702",
  "MTLS901", "MTLS902",
] as const;

interface FixExpectation {
  /** Each of these is among the targets of one fix of the finding. */
  targets?: string[];
  /** Each of these is contained (deep, on the keys given) in a YAML document of one fix. */
  objects?: Record<string, unknown>[];
  /** FINDINGS.md: low for a policy exception or label, medium when pods restart, high when access widens. */
  risk?: "low" | "medium" | "high";
  /** True: shown for a person to apply, never applied by the bot. */
  manual?: boolean;
}

interface FindingExpectation {
  code: string;
  resource?: string;
  /** A case-insensitive regular expression the message must match. */
  messagePattern?: string;
  /** In `expect`: exactly this many findings match; without it, at least one. */
  count?: number;
  /** In `expect`: the finding carries at least one fix, and these hold for one of them. */
  fix?: FixExpectation;
  /** In `expect`: no fix of the finding touches any of these objects (a fix that cannot work). */
  noFixTargets?: string[];
}

interface CaseArgs {
  mode: "check" | "scan";
  target?: string;
  from?: string;
  namespaces?: string[];
}

interface FixtureCase {
  name: string;
  args: CaseArgs;
  expect?: FindingExpectation[];
  forbid?: FindingExpectation[];
  /** Rows that must be in the report's `mtls`, compared on the keys given. */
  mtls?: Partial<MtlsRow>[];
}

const CASE_KEYS = new Set(["name", "args", "expect", "forbid", "mtls"]);
const ARG_KEYS = new Set(["mode", "target", "from", "namespaces"]);
const EXPECT_KEYS = new Set(["code", "resource", "messagePattern", "count", "fix", "noFixTargets"]);
const FORBID_KEYS = new Set(["code", "resource", "messagePattern"]);
const FIX_KEYS = new Set(["targets", "objects", "risk", "manual"]);
const MTLS_KEYS = new Set(["service", "port", "targetPort", "serverMode", "serverPolicy", "clientSends", "clientPolicy", "outcome", "observed"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(where: string, value: unknown, allowed: ReadonlySet<string>): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${where}: expected a mapping`);
  const unknown = Object.keys(value).filter((k) => !allowed.has(k));
  if (unknown.length > 0) throw new Error(`${where}: unknown key(s) ${unknown.join(", ")}`);
  return value;
}

/** Reads a cases.yaml strictly: a misspelt key would silently weaken a case. */
function readCases(file: string): FixtureCase[] {
  const doc: unknown = parse(readFileSync(file, "utf8"));
  if (!Array.isArray(doc)) throw new Error(`${file}: expected a list of cases`);
  return doc.map((raw, i) => {
    const c = checkKeys(`${file} case ${i + 1}`, raw, CASE_KEYS);
    const where = `${file} case "${String(c["name"])}"`;
    if (typeof c["name"] !== "string") throw new Error(`${file} case ${i + 1}: no name`);
    const args = checkKeys(`${where} args`, c["args"], ARG_KEYS);
    if (args["mode"] !== "check" && args["mode"] !== "scan") throw new Error(`${where}: args.mode must be check or scan`);
    if (args["mode"] === "check" && typeof args["target"] !== "string") throw new Error(`${where}: check needs args.target`);
    for (const [list, keys] of [["expect", EXPECT_KEYS], ["forbid", FORBID_KEYS]] as const) {
      const entries = c[list] ?? [];
      if (!Array.isArray(entries)) throw new Error(`${where}: ${list} must be a list`);
      entries.forEach((e, j) => {
        const entry = checkKeys(`${where} ${list}[${j}]`, e, keys);
        if (typeof entry["code"] !== "string" || !(entry["code"] in CODES)) throw new Error(`${where} ${list}[${j}]: unknown code ${String(entry["code"])}`);
        if (entry["fix"] !== undefined) checkKeys(`${where} ${list}[${j}].fix`, entry["fix"], FIX_KEYS);
      });
    }
    for (const [j, row] of ((c["mtls"] ?? []) as unknown[]).entries()) checkKeys(`${where} mtls[${j}]`, row, MTLS_KEYS);
    return c as unknown as FixtureCase;
  });
}

/** `svc[.ns]` / `name[.ns]` as the command line reads them: no namespace means `default`. */
function splitRef(ref: string, defaultNamespace: string): { name: string; namespace: string } {
  const [name = "", namespace] = ref.split(".");
  return { name, namespace: namespace ?? defaultNamespace };
}

function requestOf(args: CaseArgs): DiagnoseRequest {
  if (args.mode === "scan") return { mode: "scan", namespaces: args.namespaces ?? [], now: NOW };
  const target = splitRef(args.target ?? "", "default");
  const request: DiagnoseRequest = { mode: "check", target: { service: target.name, namespace: target.namespace }, now: NOW };
  if (args.from !== undefined) request.from = splitRef(args.from, target.namespace);
  return request;
}

function matches(finding: Finding, want: FindingExpectation): boolean {
  if (finding.code !== want.code) return false;
  if (want.resource !== undefined && finding.resource !== want.resource) return false;
  return want.messagePattern === undefined || new RegExp(want.messagePattern, "i").test(finding.message);
}

function describeExpectation(want: FindingExpectation): string {
  return [want.code, want.resource, want.messagePattern && `~/${want.messagePattern}/i`].filter(Boolean).join(" ");
}

function describeFindings(findings: readonly Finding[]): string {
  return findings.length === 0 ? "  (no findings)" : findings.map((f) => `  ${f.code} ${f.resource}: ${f.message}`).join("\n");
}

/** Whether `actual` holds everything `wanted` gives (deeply, on the keys given; lists element by element). */
function contains(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return Array.isArray(actual) && wanted.length <= actual.length && wanted.every((w, i) => contains(actual[i], w));
  }
  if (isRecord(wanted)) {
    return isRecord(actual) && Object.entries(wanted).every(([k, v]) => contains(actual[k], v));
  }
  return actual === wanted;
}

function objectRef(obj: Record<string, unknown>): string {
  const meta = isRecord(obj["metadata"]) ? obj["metadata"] : {};
  const namespace = typeof meta["namespace"] === "string" ? `${meta["namespace"]}/` : "";
  return `${String(obj["kind"])} ${namespace}${String(meta["name"])}`;
}

/** A fix's YAML documents: they must parse, and each must be a named Kubernetes object. */
function fixObjects(yaml: string): Record<string, unknown>[] {
  return parseAllDocuments(yaml).map((doc, i) => {
    expect(doc.errors, `fix YAML document ${i + 1} parses`).toEqual([]);
    const obj: unknown = doc.toJS();
    if (!isRecord(obj)) throw new Error(`fix YAML document ${i + 1} is not an object:\n${yaml}`);
    expect(typeof obj["apiVersion"], `fix document ${i + 1} has an apiVersion`).toBe("string");
    expect(typeof obj["kind"], `fix document ${i + 1} has a kind`).toBe("string");
    return obj;
  });
}

/** Every fix of every finding: YAML that parses, whose objects are exactly the targets it declares. */
function assertFixesWellFormed(findings: readonly Finding[]): void {
  for (const finding of findings) {
    for (const fix of finding.fixes) {
      const refs = fixObjects(fix.yaml).map(objectRef);
      expect(refs, `${finding.code} ${finding.resource}: fix "${fix.title}" objects are its targets`).toEqual(fix.targets);
      expect(["low", "medium", "high"]).toContain(fix.risk);
    }
  }
}

function assertFix(finding: Finding, want: FixExpectation): void {
  const label = `${finding.code} ${finding.resource}`;
  expect.soft(finding.fixes.length, `${label} offers a fix`).toBeGreaterThan(0);
  const fits = finding.fixes.filter((fix) => {
    const objects = fixObjects(fix.yaml);
    return (
      (want.targets ?? []).every((t) => fix.targets.includes(t)) &&
      (want.objects ?? []).every((wanted) => objects.some((o) => contains(o, wanted))) &&
      (want.risk === undefined || fix.risk === want.risk) &&
      (want.manual === undefined || (fix.manual ?? false) === want.manual)
    );
  });
  const offered = finding.fixes.map((f) => `--- ${f.title} (risk ${f.risk}${f.manual ? ", manual" : ""}; ${f.targets.join(", ")})\n${f.yaml}`).join("\n");
  expect.soft(fits.length, `${label}: no fix ${JSON.stringify(want)}; offered:\n${offered}`).toBeGreaterThan(0);
}

/** Every expectation of a case is checked (softly, so that one report shows every problem). */
function assertCase(report: Report, kase: FixtureCase): void {
  expect.soft(report.checks.filter((c) => c.status === "failed"), "no check failed").toEqual([]);
  for (const want of kase.expect ?? []) {
    const found = report.findings.filter((f) => matches(f, want));
    const message = `expected ${want.count ?? "a"} finding ${describeExpectation(want)}; report has:\n${describeFindings(report.findings)}`;
    if (want.count === undefined) expect.soft(found.length, message).toBeGreaterThan(0);
    else expect.soft(found.length, message).toBe(want.count);
    const first = found[0];
    if (!first) continue;
    if (want.fix !== undefined) assertFix(first, want.fix);
    for (const target of want.noFixTargets ?? []) {
      const touching = first.fixes.filter((f) => f.targets.includes(target)).map((f) => f.title);
      expect.soft(touching, `${first.code} ${first.resource}: no fix should touch ${target}`).toEqual([]);
    }
  }
  for (const unwanted of kase.forbid ?? []) {
    const found = report.findings.filter((f) => matches(f, unwanted));
    expect.soft(found.map((f) => `${f.code} ${f.resource}: ${f.message}`), `forbidden ${describeExpectation(unwanted)}`).toEqual([]);
  }
  for (const row of kase.mtls ?? []) {
    const fits = report.mtls.some((actual) => Object.entries(row).every(([k, v]) => isDeepStrictEqual(actual[k as keyof MtlsRow], v)));
    expect.soft(fits, `mtls row ${JSON.stringify(row)}; report rows:\n${report.mtls.map((r) => `  ${JSON.stringify(r)}`).join("\n")}`).toBe(true);
  }
  assertFixesWellFormed(report.findings);
}

interface Fixture {
  topic: string;
  snapshotDir: string;
  cases: FixtureCase[];
}

const fixtures: Fixture[] = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort()
  .map((topic) => ({
    topic,
    snapshotDir: path.join(FIXTURES, topic, "snapshot"),
    cases: readCases(path.join(FIXTURES, topic, "cases.yaml")),
  }));

describe.each(fixtures)("fixture $topic", (fixture) => {
  it("has a snapshot directory and at least one case", () => {
    expect(existsSync(fixture.snapshotDir)).toBe(true);
    expect(fixture.cases.length).toBeGreaterThan(0);
  });

  // A fresh snapshot per case: no case can see what another one's diagnosis did to its objects.
  it.each(fixture.cases)("$name", async (kase) => {
    const report = diagnose(await loadSnapshotDir(fixture.snapshotDir), requestOf(kase.args));
    assertCase(report, kase);
  });
});

describe("fixture coverage", () => {
  const mentions = (kase: FixtureCase, list: "expect" | "forbid", code: string) => (kase[list] ?? []).some((e) => e.code === code);
  it.each(COVERED_CODES)("%s is fired by one case and forbidden by another on the same fixture", (code) => {
    const both = fixtures.filter(
      (f) => f.cases.some((c) => mentions(c, "expect", code)) && f.cases.some((c) => mentions(c, "forbid", code)),
    );
    expect(both.map((f) => f.topic), `a fixture with a case that expects ${code} and one that forbids it`).not.toEqual([]);
  });
});
