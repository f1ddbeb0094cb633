// One reply per finding, or one per code when a code has many findings (forty pods without a
// sidecar are one problem to read, not forty). Everything Slack cannot hold — long messages, long
// evidence, grouped details, replies beyond the cap — goes into one overflow file that holds the
// complete findings, which the caller uploads into the thread.
import { CODES, SEVERITY_RANK, type Severity } from "../checks/codes.js";
import type { Finding, Fix } from "../checks/finding.js";
import type { Report } from "../report/report.js";
import { codeSpan, escapeMrkdwn } from "./escape-mrkdwn.js";
import { fitLines } from "./fit-lines.js";
import { fixFilename } from "./render-fix.js";
import { mtlsTableLines } from "./render-summary.js";
import { reportSubject } from "./report-subject.js";
import { safeFileStem } from "./safe-file-stem.js";
import { describeCounts, severityCounts } from "./severity-counts.js";
import { severityEmoji } from "./severity-emoji.js";
import { utcTime } from "./slack-date.js";
import { context, SECTION_BUDGET, section, SLACK_LIMITS, slackMessage, type Block, type SlackMessage } from "./slack-message.js";
import { truncateMrkdwn } from "./truncate-mrkdwn.js";

export interface FindingsOptions {
  /** Blocks a reply may have (Slack: 50). */
  maxBlocks?: number;
  /** Characters a section may have (Slack: 3,000). */
  maxSectionChars?: number;
  /** Replies in all, the closing "more in the file" note included. */
  maxReplies?: number;
  /** A code with more findings than this gets one grouped reply. */
  groupAbove?: number;
  /** Evidence bullets shown per finding. */
  maxEvidence?: number;
  /** Resources listed in a grouped reply. */
  maxGroupItems?: number;
  /** Fixes posted after one reply; the rest are in the file. */
  maxFixesPerReply?: number;
}

/** A fix to post as its own reply after the finding reply that announced it. */
export interface FixToPost {
  fix: Fix;
  finding: Finding;
}

export interface FindingReply extends SlackMessage {
  /** The findings this reply covers (a grouped reply covers several; the closing note, those left out). */
  findings: Finding[];
  /** The fixes to post after this reply, in order; a fix already posted after an earlier reply is not repeated. */
  fixes: FixToPost[];
}

export interface OverflowFile {
  filename: string;
  /** Markdown: every finding in full, with its evidence and the YAML of its fixes. */
  content: string;
}

export interface RenderedFindings {
  messages: FindingReply[];
  /** Present when anything was shortened or left out of the messages. */
  overflow?: OverflowFile;
}

type Unit = { kind: "single"; finding: Finding } | { kind: "group"; code: string; findings: Finding[] };

const SEE_FILE = "see the attached file";
const NAME_CHARS = 200;
const EVIDENCE_LINE_CHARS = 500;
const FIX_TEXT_CHARS = 400;

function units(findings: readonly Finding[], groupAbove: number): Unit[] {
  const byCode = new Map<string, Finding[]>();
  for (const f of findings) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
  const out: Unit[] = [];
  const grouped = new Set<string>();
  for (const f of findings) {
    const same = byCode.get(f.code) ?? [f];
    if (same.length <= groupAbove) out.push({ kind: "single", finding: f });
    else if (!grouped.has(f.code)) {
      grouped.add(f.code);
      out.push({ kind: "group", code: f.code, findings: same });
    }
  }
  return out;
}

function unitFindings(unit: Unit): Finding[] {
  return unit.kind === "single" ? [unit.finding] : unit.findings;
}

function fixKey(fix: Fix): string {
  return fix.yaml.trim();
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `MTLS201 PlaintextClientToStrictServer`: what people search for. */
function codeAndName(code: string, name: string): string {
  return truncateMrkdwn(escapeMrkdwn(`${code} ${name}`), NAME_CHARS);
}

function worstSeverity(findings: readonly Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w), "info");
}

/** Renders the findings of a report as thread replies within Slack's limits, and the overflow file. */
export function renderFindings(report: Report, options: FindingsOptions = {}): RenderedFindings {
  const maxBlocks = Math.max(1, Math.min(options.maxBlocks ?? 45, SLACK_LIMITS.blocks));
  const sectionChars = Math.max(200, Math.min(options.maxSectionChars ?? SECTION_BUDGET, SLACK_LIMITS.sectionText));
  const maxReplies = Math.max(1, options.maxReplies ?? 20);
  const maxEvidence = Math.max(0, options.maxEvidence ?? 10);
  const maxGroupItems = Math.max(1, options.maxGroupItems ?? 15);
  const maxFixes = Math.max(0, options.maxFixesPerReply ?? 3);

  const all = units(report.findings, Math.max(1, options.groupAbove ?? 3));
  const shown = all.length > maxReplies ? all.slice(0, maxReplies - 1) : all;
  const left = all.slice(shown.length).flatMap(unitFindings);
  let shortened = left.length > 0;
  const posted = new Map<string, string>();

  /** The fixes this reply owns, and the context line that tells where all its fixes are. */
  const fixesFor = (findings: readonly Finding[]): { fixes: FixToPost[]; line: string } => {
    const fixes: FixToPost[] = [];
    const shared = new Set<string>();
    const sharedWith = new Set<string>();
    const inFile = new Set<string>();
    for (const finding of findings) {
      for (const fix of finding.fixes) {
        const key = fixKey(fix);
        const earlier = posted.get(key);
        if (earlier !== undefined) {
          if (!fixes.some((f) => fixKey(f.fix) === key)) {
            shared.add(key);
            sharedWith.add(earlier);
          }
          continue;
        }
        if (fixes.length >= maxFixes) {
          inFile.add(key);
          continue;
        }
        fixes.push({ fix, finding });
        posted.set(key, finding.code);
      }
    }
    if (inFile.size > 0) shortened = true;
    const parts: string[] = [];
    if (fixes.length > 0) parts.push(`🛠️ ${plural(fixes.length, "fix", "fixes")} below`);
    if (shared.size > 0) {
      // Worded so that it holds wherever the caller posts the earlier fix replies.
      const codes = [...sharedWith].map((c) => escapeMrkdwn(c)).join(", ");
      parts.push(`${fixes.length > 0 ? "" : "🛠️ "}${plural(shared.size, "fix", "fixes")} the same as for ${codes}`);
    }
    if (inFile.size > 0) parts.push(`${plural(inFile.size, "more fix", "more fixes")} in the attached file`);
    const line = parts.length > 0 ? parts.join(" · ") : "No automatic fix for this one";
    return { fixes, line: truncateMrkdwn(line, FIX_TEXT_CHARS) };
  };

  const cut = (escaped: string, max: number, suffix: string): string => {
    if (escaped.length <= max) return escaped;
    shortened = true;
    return truncateMrkdwn(escaped, max, suffix);
  };

  const reply = (fallback: string, blocks: Block[], findings: Finding[], fixes: FixToPost[]): FindingReply => {
    if (blocks.length > maxBlocks) shortened = true;
    return { ...slackMessage(fallback, blocks.slice(0, maxBlocks)), findings, fixes };
  };

  const renderSingle = (f: Finding): FindingReply => {
    const emoji = severityEmoji(f.severity);
    const upstream = f.upstreamCode !== undefined ? ` (istioctl ${truncateMrkdwn(escapeMrkdwn(f.upstreamCode), 60)})` : "";
    const title = `${emoji} *${codeAndName(f.code, f.name)}* · ${f.severity}${upstream}\n${codeSpan(truncateMrkdwn(f.resource, 300))}`;
    const blocks: Block[] = [section(title), section(cut(escapeMrkdwn(f.message), sectionChars, ` … (message shortened, ${SEE_FILE})`))];
    if (f.evidence.length > 0) {
      const heading = "*Evidence*";
      const lines = f.evidence.map((e) => `• ${cut(escapeMrkdwn(e), EVIDENCE_LINE_CHARS, "…")}`);
      const list = fitLines(lines, { maxChars: sectionChars - heading.length - 1, maxLines: maxEvidence, more: (n) => `… (${n} more, ${SEE_FILE})` });
      if (list.omitted > 0 || list.shortened) shortened = true;
      blocks.push(section(`${heading}\n${list.text}`));
    }
    const { fixes, line } = fixesFor([f]);
    blocks.push(context(line));
    const fallback = `${emoji} ${codeAndName(f.code, f.name)}: ${truncateMrkdwn(escapeMrkdwn(`${f.resource} — ${f.message}`), 300)}`;
    return reply(fallback, blocks, [f], fixes);
  };

  const renderGroup = (code: string, findings: Finding[]): FindingReply => {
    // The evidence of each grouped finding is only in the file.
    shortened = true;
    const first = findings[0];
    const severity = worstSeverity(findings);
    const emoji = severityEmoji(severity);
    const name = first?.name ?? "";
    const title = `${emoji} *${codeAndName(code, name)}* · ${severity} · ${findings.length} findings`;
    const description = code in CODES ? CODES[code as keyof typeof CODES].description : "";
    const example = first ? `\n_For example:_ ${escapeMrkdwn(first.message)}` : "";
    const about = cut(`${escapeMrkdwn(description)}${example}`, sectionChars, ` … (${SEE_FILE})`);
    const distinct = new Set(findings.map((f) => f.resource)).size === findings.length;
    const items = findings.map((f) => {
      const what = distinct ? "" : ` — ${truncateMrkdwn(escapeMrkdwn(f.message), 150)}`;
      return `• ${codeSpan(truncateMrkdwn(f.resource, 200))}${what}`;
    });
    const heading = `*Affected* (evidence and details of each in the attached file)`;
    const list = fitLines(items, { maxChars: sectionChars - heading.length - 1, maxLines: maxGroupItems, more: (n) => `… (${n} more, ${SEE_FILE})` });
    const { fixes, line } = fixesFor(findings);
    const blocks: Block[] = [section(title), section(about === "" ? "-" : about), section(`${heading}\n${list.text}`), context(line)];
    return reply(`${emoji} ${codeAndName(code, name)}: ${findings.length} findings`, blocks, findings, fixes);
  };

  const messages = shown.map((u) => (u.kind === "single" ? renderSingle(u.finding) : renderGroup(u.code, u.findings)));
  const filename = overflowFilename(report);
  if (left.length > 0) {
    const byCode = new Map<string, number>();
    for (const f of left) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
    const codes = [...byCode].map(([code, n]) => `${escapeMrkdwn(code)} ×${n}`).join(", ");
    const text = `ℹ️ *${plural(left.length, "more finding")} not shown here*: ${codes}.\nAll findings, with their evidence and the YAML of their fixes, are in the attached file ${codeSpan(filename)}.`;
    messages.push(reply(`${plural(left.length, "more finding")} in the attached file`, [section(cut(text, sectionChars, "…"))], left, []));
  }
  if (!shortened) return { messages };
  return { messages, overflow: { filename, content: renderOverflow(report) } };
}

/** `mtls-findings-inventory.shop-20261127T1200Z.md` */
export function overflowFilename(report: Report): string {
  const generated = new Date(report.generatedAt);
  const stamp = Number.isNaN(generated.getTime()) ? "" : `-${generated.toISOString().slice(0, 16).replace(/[-:]/g, "")}Z`;
  const subject = safeFileStem(reportSubject(report), 60) || "report";
  return `mtls-findings-${subject}${stamp}.md`;
}

/** A fence longer than any backtick run inside, so that no YAML can close it. */
function fence(body: string): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}

/** The complete findings as Markdown: nothing shortened, nothing left out. */
export function renderOverflow(report: Report): string {
  const lines: string[] = [];
  const generated = new Date(report.generatedAt);
  lines.push(`# mtls-doctor findings: ${reportSubject(report)}`, "");
  lines.push(`Diagnosed ${utcTime(generated)} · verdict ${report.verdict} · ${report.findings.length} finding(s) (${describeCounts(severityCounts(report.findings))})`);
  if (report.source) lines.push(`Source: ${report.source.kind} ${report.source.namespace}/${report.source.name}`);
  if (report.mtls.length > 0) {
    const table = mtlsTableLines(report.mtls).join("\n");
    const f = fence(table);
    lines.push("", "## mTLS by port", "", f, table, f);
  }
  report.findings.forEach((finding, i) => {
    lines.push("", `## ${i + 1}. ${finding.code} ${finding.name} (${finding.severity})`, "");
    lines.push(`Resource: ${finding.resource}`);
    if (finding.upstreamCode !== undefined) lines.push(`istioctl code: ${finding.upstreamCode}`);
    lines.push("", finding.message);
    if (finding.evidence.length > 0) lines.push("", "Evidence:", ...finding.evidence.map((e) => `- ${e}`));
    finding.fixes.forEach((fix, j) => {
      const yaml = fix.yaml.trimEnd();
      const f = fence(yaml);
      lines.push("", `### Fix ${j + 1}: ${fix.title}`, "");
      lines.push(`Risk: ${fix.risk}${fix.manual === true ? " · apply by hand" : ""}`);
      lines.push(`Touches: ${fix.targets.join(", ")}`);
      lines.push(`File: ${fixFilename(fix, finding)}`, "", `${f}yaml`, yaml, f);
    });
  });
  return `${lines.join("\n")}\n`;
}
