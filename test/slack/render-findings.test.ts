import { describe, expect, it } from "vitest";
import { CODES, type Code } from "../../src/checks/codes.js";
import type { Finding } from "../../src/checks/finding.js";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { renderFindings } from "../../src/slack/render-findings.js";
import { buildFinding, buildFix, buildReport } from "./build-report.js";
import { messageText } from "./message-texts.js";

const FINDINGS_LIMITS = { blocks: 45, sectionText: 2900 };

describe("renderFindings", () => {
  it("gives each finding its own reply with severity, code and name, resource, message, evidence and fix count", () => {
    const report = buildReport({
      findings: [
        buildFinding("MTLS201", {
          resource: "Deployment legacy/report-generator",
          message: "Deployment legacy/report-generator has no sidecar and sends plaintext.",
          evidence: ["port 80 → container port 8080: STRICT (set by istio-system/default)", "source pod legacy/report-generator-6w98z: no proxy"],
          fixes: [buildFix(), buildFix({ title: "Inject the client", risk: "medium", yaml: "kind: Namespace\n", targets: ["Namespace legacy"] })],
        }),
      ],
    });
    const { messages, overflow } = renderFindings(report);
    expect(messages).toHaveLength(1);
    const text = messageText(messages[0]!);
    expect(text).toContain("🔴 *MTLS201 PlaintextClientToStrictServer*");
    expect(text).toContain("`Deployment legacy/report-generator`");
    expect(text).toContain("has no sidecar and sends plaintext");
    expect(text).toContain("• source pod legacy/report-generator-6w98z: no proxy");
    expect(text).toContain("2 fixes below");
    expect(messages[0]!.fixes.map((f) => f.fix.title)).toEqual([report.findings[0]!.fixes[0]!.title, "Inject the client"]);
    expect(overflow).toBeUndefined();
  });

  it("posts a fix shared by several findings once, and says so on the later ones", () => {
    const shared = buildFix({ title: "Label namespace legacy and restart", risk: "medium", yaml: "kind: Namespace\nmetadata:\n  name: legacy\n", targets: ["Namespace legacy"] });
    const report = buildReport({
      findings: [
        buildFinding("MTLS201", { fixes: [buildFix(), shared] }),
        buildFinding("MTLS101", { fixes: [{ ...shared }] }),
        buildFinding("MTLS102", { resource: "Namespace legacy", fixes: [{ ...shared }] }),
      ],
    });
    const { messages } = renderFindings(report);
    expect(messages.map((m) => m.fixes.length)).toEqual([2, 0, 0]);
    expect(messageText(messages[1]!)).toContain("🛠️ 1 fix the same as for MTLS201");
    expect(messageText(messages[2]!)).not.toContain("fix below");
  });

  it("says when a finding has no fix", () => {
    const { messages } = renderFindings(buildReport({ findings: [buildFinding("MTLS209")] }));
    expect(messageText(messages[0]!)).toContain("No automatic fix");
  });

  it("groups many findings of one code into one reply, capped, with the full list in the file", () => {
    const pods = Array.from({ length: 40 }, (_, i) => `Pod shop/batch-job-${String(i).padStart(2, "0")}`);
    const findings = [
      buildFinding("MTLS201", { fixes: [buildFix()] }),
      ...pods.map((resource) => buildFinding("MTLS202", { resource, message: `Pod ${resource.slice(4)} has no sidecar`, evidence: [`${resource}: no proxy`], fixes: [buildFix()] })),
    ];
    const { messages, overflow } = renderFindings(buildReport({ findings }));
    expect(messages).toHaveLength(2);
    const group = messages[1]!;
    const text = messageText(group);
    expect(text).toContain("*MTLS202 NonMeshPodsNearStrictService* · warning · 40 findings");
    expect(text).toContain("`Pod shop/batch-job-00`");
    expect(text).not.toContain("`Pod shop/batch-job-39`");
    expect(text).toContain("… (25 more, see the attached file)");
    expect(group.findings).toHaveLength(40);
    // The same fix on forty pods is one fix; MTLS201's identical fix was posted first.
    expect(messages[0]!.fixes).toHaveLength(1);
    expect(group.fixes).toHaveLength(0);
    expect(overflow).toBeDefined();
    for (const pod of pods) expect(overflow!.content).toContain(`Resource: ${pod}`);
  });

  it("keeps a few findings of one code as separate replies", () => {
    const findings = ["a", "b", "c"].map((n) => buildFinding("MTLS101", { resource: `Pod shop/${n}` }));
    expect(renderFindings(buildReport({ findings })).messages).toHaveLength(3);
    expect(renderFindings(buildReport({ findings }), { groupAbove: 2 }).messages).toHaveLength(1);
  });

  it("caps the number of replies and puts the rest, with their fixes, in the file", () => {
    const findings = Array.from({ length: 30 }, (_, i) =>
      buildFinding("MTLS101", { resource: `Pod shop/p${i}`, fixes: [buildFix({ title: `fix ${i}`, yaml: `kind: Pod\nname: p${i}\n` })] }),
    );
    const { messages, overflow } = renderFindings(buildReport({ findings }), { groupAbove: 100 });
    expect(messages).toHaveLength(20);
    const note = messages[19]!;
    expect(messageText(note)).toContain("11 more findings not shown here");
    expect(messageText(note)).toContain(overflow!.filename);
    expect(note.findings.map((f) => f.resource)).toEqual(findings.slice(19).map((f) => f.resource));
    expect(note.fixes).toEqual([]);
    expect(overflow!.content).toContain("kind: Pod\nname: p29");
  });

  it("names the overflow file after the report's subject and time", () => {
    const { overflow } = renderFindings(buildReport({ findings: [buildFinding("MTLS101", { message: "x".repeat(5000) })] }));
    expect(overflow?.filename).toBe("mtls-findings-inventory.shop-20261127T1200Z.md");
  });

  it("keeps 200 huge findings within Slack's limits and puts all of them into the file", () => {
    const codes = Object.keys(CODES) as Code[];
    const findings: Finding[] = Array.from({ length: 200 }, (_, i) => {
      const code = i < 60 ? "MTLS202" : codes[i % codes.length]!;
      return buildFinding(code, {
        resource: `Pod ns-${i}/${"pod".repeat(60)}-${i}`,
        message: `message ${i} <!channel> ${"m".repeat(8000)} end-of-message-${i}`,
        evidence: Array.from({ length: 40 }, (_, j) => `evidence ${i}.${j} ${"e".repeat(700)} end-${i}.${j}`),
        fixes: [buildFix({ title: `fix ${i}`, yaml: Array.from({ length: 200 }, (_, k) => `line-${i}-${k}: ${"y".repeat(50)}`).join("\n") })],
      });
    });
    for (const options of [{}, { groupAbove: 1000 }]) {
      const { messages, overflow } = renderFindings(buildReport({ findings }), options);
      expect(messages.length).toBeLessThanOrEqual(20);
      for (const m of messages) expect(messageLimitProblems(m, FINDINGS_LIMITS)).toEqual([]);
      expect(overflow).toBeDefined();
      // One "## n." part per finding, in order: each must hold that finding in full.
      const parts = overflow!.content.split(/\n## \d+\. /).slice(1);
      expect(parts).toHaveLength(findings.length);
      findings.forEach((f, i) => {
        const part = parts[i]!;
        expect(part.startsWith(`${f.code} ${f.name}`)).toBe(true);
        expect(part).toContain(f.message);
        for (const e of f.evidence) expect(part).toContain(`- ${e}`);
        for (const fix of f.fixes) expect(part).toContain(fix.yaml);
      });
      const covered = new Set(messages.flatMap((m) => m.findings));
      expect(covered.size).toBe(200);
    }
  });

  it("truncates a long message and long evidence with a pointer to the file", () => {
    const finding = buildFinding("MTLS405", {
      message: "TLS failures ".repeat(1000),
      evidence: Array.from({ length: 30 }, (_, i) => `log line ${i}`),
    });
    const { messages, overflow } = renderFindings(buildReport({ findings: [finding] }));
    const text = messageText(messages[0]!);
    expect(text).toContain("(message shortened, see the attached file)");
    expect(text).toContain("… (20 more, see the attached file)");
    expect(overflow!.content).toContain("- log line 29");
  });

  it("respects smaller limits when asked", () => {
    const finding = buildFinding("MTLS405", { message: "y".repeat(5000), evidence: Array.from({ length: 50 }, (_, i) => `line ${i} ${"z".repeat(100)}`) });
    const { messages } = renderFindings(buildReport({ findings: [finding] }), { maxSectionChars: 500, maxBlocks: 3 });
    expect(messageLimitProblems(messages[0]!, { blocks: 3, sectionText: 500 })).toEqual([]);
  });

  it("renders nothing for a report without findings", () => {
    expect(renderFindings(buildReport())).toEqual({ messages: [] });
  });
});
