import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { toRequest } from "../../src/cli/load-input.js";
import { parseCommandLine } from "../../src/cli/parse-args.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { Report } from "../../src/report/report.js";
import { escapeCodeLine } from "../../src/slack/escape-mrkdwn.js";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { renderFindings } from "../../src/slack/render-findings.js";
import { renderFixReply } from "../../src/slack/render-fix.js";
import { renderParentPending, renderParentProgress, renderParentVerdict, type ParentContext } from "../../src/slack/render-parent.js";
import { mtlsTableLines, renderSummary } from "../../src/slack/render-summary.js";
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";
import { messageText } from "./message-texts.js";

const scenariosDir = path.join(SHARED_DIR, "scenarios");
const present = sharedAvailable("rendering the shared scenarios to Slack") && existsSync(scenariosDir);
const names = present
  ? readdirSync(scenariosDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(scenariosDir, d.name, "case.json")))
      .map((d) => d.name)
      .sort()
  : [];

interface Case {
  args: string[];
  now: string;
  expect?: { code: string }[];
}

const FINDINGS_LIMITS = { blocks: 45, sectionText: 2900 };

function expectWithinLimits(report: Report): void {
  expect(messageLimitProblems(renderSummary(report, { cluster: "prod" }))).toEqual([]);
  for (const msg of renderFindings(report).messages) expect(messageLimitProblems(msg, FINDINGS_LIMITS)).toEqual([]);
}

// Real diagnosis output, as the worker would render it: every message must be one Slack accepts.
describe.skipIf(!present)("shared scenarios rendered for Slack", () => {
  it.each(names)("%s", async (name) => {
    const dir = path.join(scenariosDir, name);
    const spec = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8")) as Case;
    const cmd = parseCommandLine([...spec.args, "--snapshot", path.join(dir, "snapshot")]);
    if (cmd.command !== "check" && cmd.command !== "scan") throw new Error(`${name}: not a check or scan`);
    const snapshot = await loadSnapshotDir(path.join(dir, "snapshot"));
    const request = toRequest(cmd, "default", new Date(spec.now));
    const report = diagnose(snapshot, request);
    const scan = diagnose(snapshot, { mode: "scan", namespaces: [], now: request.now });
    expectWithinLimits(scan);

    const subject: ParentContext =
      request.mode === "check"
        ? { service: request.target.service, namespace: request.target.namespace, cluster: "prod", requestedBy: "U0REQ" }
        : { service: "", namespace: request.namespaces.join(", ") || "all namespaces", scan: true, cluster: "prod", requestedBy: "U0REQ" };
    if (request.mode === "check" && request.from) subject.from = `${request.from.name}.${request.from.namespace}`;
    const parent = [
      renderParentPending(subject),
      renderParentProgress({ ...subject, done: 3, total: report.checks.length, current: report.checks[3]?.name ?? "" }),
      renderParentVerdict({ ...subject, report, threadPermalink: "https://example.slack.com/archives/C1/p1" }),
    ];
    for (const msg of parent) expect(messageLimitProblems(msg)).toEqual([]);
    const worst = report.findings[0];
    if (worst) expect(messageText(parent[2]!)).toContain(`*${worst.code} ${worst.name}*`);

    const summary = renderSummary(report, { cluster: "prod" });
    expect(messageLimitProblems(summary)).toEqual([]);
    const summaryText = messageText(summary);
    for (const line of mtlsTableLines(report.mtls)) expect(summaryText).toContain(escapeCodeLine(line));

    const { messages, overflow } = renderFindings(report);
    for (const msg of messages) expect(messageLimitProblems(msg, FINDINGS_LIMITS)).toEqual([]);
    const repliesText = messages.map(messageText).join("\n");
    for (const f of report.findings) expect(repliesText + (overflow?.content ?? "")).toContain(`${f.code} ${f.name}`);
    for (const e of spec.expect ?? []) expect(repliesText).toContain(e.code);

    const options = { approveReaction: "white_check_mark", rejectReaction: "x", fixesEnabled: true, expiresAt: new Date(spec.now) };
    for (const { fix, finding } of messages.flatMap((m) => m.fixes)) {
      const reply = renderFixReply(fix, finding, options);
      expect(messageLimitProblems(reply)).toEqual([]);
      expect(messageText(reply)).toContain(fix.manual === true ? "By hand: `kubectl " : "React with :white_check_mark:");
    }
  });
});
