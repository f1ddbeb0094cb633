// The first reply in the thread: the verdict, the mTLS table, what was not checked and why, and
// the certificates the inspected proxies hold. Findings follow as their own replies.
import { describeObserved } from "../report/describe-observed.js";
import type { CertificateRow, MtlsRow, Report } from "../report/report.js";
import { codeBlock, codeSpan, escapeCodeLine, escapeMrkdwn } from "./escape-mrkdwn.js";
import { fitLines } from "./fit-lines.js";
import { reportSubject } from "./report-subject.js";
import { describeCounts, severityCounts } from "./severity-counts.js";
import { SEVERITY_EMOJI, type Verdict } from "./severity-emoji.js";
import { context, header, SECTION_BUDGET, section, slackMessage, type Block, type SlackMessage } from "./slack-message.js";
import { slackDate, utcTime } from "./slack-date.js";
import { truncateMrkdwn } from "./truncate-mrkdwn.js";

export interface SummaryOptions {
  cluster: string;
  /** Most mTLS table rows shown (a scan has one per service port). */
  maxRows?: number;
}

const HEADLINE: Readonly<Record<Verdict, string>> = {
  ok: "No problems found",
  info: "Worth knowing: nothing is broken",
  warning: "Warning: likely or partial breakage",
  critical: "Critical: traffic is or will be refused",
};

const OUTCOME: Readonly<Record<MtlsRow["outcome"], string>> = {
  ok: "✅ ok",
  refused: "❌ refused",
  plaintext: "⚠️ plaintext",
};

/** Per-section budgets: the summary must stay far from msg_blocks_too_long as a whole. */
const CHECKS_CHARS = 1500;
const CERTIFICATE_CHARS = 1500;

function pad(cells: string[][]): string[] {
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length))) ?? [];
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  "));
}

/** `80 → 8080  STRICT (ns/policy)  ←  ISTIO_MUTUAL (auto)  ✅ ok`, one line per port, as raw text. */
export function mtlsTableLines(rows: readonly MtlsRow[]): string[] {
  const scan = rows.some((r) => r.service !== undefined);
  const observed = rows.some((r) => r.observed !== undefined);
  return pad(
    rows.map((r) => [
      ...(scan ? [r.service ?? ""] : []),
      `${r.port} → ${r.targetPort}`,
      `${r.serverMode} (${r.serverPolicy})`,
      "←",
      `${r.clientSends ?? "—"} (${r.clientPolicy ?? "no proxy"})`,
      OUTCOME[r.outcome],
      ...(observed ? [`· seen: ${describeObserved(r.observed)}`] : []),
    ]),
  );
}

function mtlsSection(report: Report, maxRows: number): string | undefined {
  if (report.mtls.length === 0) return undefined;
  const seen = report.mtls.some((r) => r.observed !== undefined) ? " · what the proxies counted" : "";
  const title = `*mTLS by port*  _port → container port · server mode (set by) ← client sends (decided by) · outcome${seen}_`;
  const fences = "```\n\n```".length;
  const lines = mtlsTableLines(report.mtls).map(escapeCodeLine);
  const table = fitLines(lines, {
    maxChars: SECTION_BUDGET - title.length - 1 - fences,
    maxLines: maxRows,
    more: (n) => `… ${n} more port(s) not shown`,
  });
  return `${title}\n${codeBlock([table.text])}`;
}

function subjectLine(report: Report, cluster: string): string {
  const subject = truncateMrkdwn(escapeMrkdwn(reportSubject(report)), 300);
  const source = report.source ? ` from ${escapeMrkdwn(`${report.source.kind} ${report.source.namespace}/${report.source.name}`)}` : "";
  const counts = severityCounts(report.findings);
  const total = report.findings.length;
  const tally =
    total === 0
      ? "no findings"
      : `${total} finding(s): ${SEVERITY_EMOJI.critical} ${counts.critical} critical · ${SEVERITY_EMOJI.warning} ${counts.warning} warning · ${SEVERITY_EMOJI.info} ${counts.info} info`;
  const next = total > 0 ? "\nEach finding follows as its own reply, each fix as its own reply below it." : "";
  return `*${subject}*${truncateMrkdwn(source, 400)} on *${truncateMrkdwn(escapeMrkdwn(cluster), 200)}* — ${tally}${next}`;
}

function checksSection(report: Report): string | undefined {
  if (report.checks.length === 0) return undefined;
  const count = (s: "ran" | "skipped" | "failed") => report.checks.filter((c) => c.status === s).length;
  const title = `*Checks:* ${count("ran")} ran · ${count("skipped")} skipped · ${count("failed")} failed`;
  const notRun = report.checks.filter((c) => c.status !== "ran");
  if (notRun.length === 0) return title;
  const lines = notRun.map((c) => {
    const what = c.status === "failed" ? "failed" : "skipped";
    return `• ${codeSpan(truncateMrkdwn(c.name, 80))} ${what}: ${truncateMrkdwn(escapeMrkdwn(c.detail), 300)}`;
  });
  const list = fitLines(lines, { maxChars: CHECKS_CHARS - title.length - 1, maxLines: 15, more: (n) => `… ${n} more not shown` });
  return `${title}\n${list.text}`;
}

function certificateState(cert: CertificateRow, now: Date): string {
  const notAfter = new Date(cert.notAfter);
  const notBefore = new Date(cert.notBefore);
  if (!Number.isNaN(notAfter.getTime()) && notAfter.getTime() <= now.getTime()) return `❌ *expired* ${escapeMrkdwn(utcTime(notAfter))}`;
  if (!Number.isNaN(notBefore.getTime()) && notBefore.getTime() > now.getTime()) return `⚠️ not valid before ${escapeMrkdwn(utcTime(notBefore))}`;
  const until = Number.isNaN(notAfter.getTime()) ? escapeMrkdwn(cert.notAfter) : escapeMrkdwn(utcTime(notAfter));
  return cert.valid ? `✅ until ${until}` : `⚠️ not valid, until ${until}`;
}

function certificatesSection(report: Report): string | undefined {
  if (report.proxies.length === 0) return undefined;
  const now = new Date(report.generatedAt);
  const lines = report.proxies.map((p) => {
    const pod = codeSpan(truncateMrkdwn(p.pod, 120));
    if (p.certificates.length === 0) return `• ${pod}: no certificates in its config dump`;
    const certs = p.certificates.map((c) => `${escapeMrkdwn(truncateMrkdwn(c.name, 60))} ${certificateState(c, now)}`);
    return `• ${pod}: ${truncateMrkdwn(certs.join(" · "), 400)}`;
  });
  const title = "*Certificates of the inspected proxies*";
  const list = fitLines(lines, { maxChars: CERTIFICATE_CHARS - title.length - 1, maxLines: 12, more: (n) => `… ${n} more proxies not shown` });
  return `${title}\n${list.text}`;
}

/** The summary reply for a report: verdict header, mTLS table, counts, skipped checks, certificates. */
export function renderSummary(report: Report, options: SummaryOptions): SlackMessage {
  const maxRows = options.maxRows ?? 40;
  const blocks: Block[] = [header(`${SEVERITY_EMOJI[report.verdict]} ${HEADLINE[report.verdict]}`), section(subjectLine(report, options.cluster))];
  for (const text of [mtlsSection(report, maxRows), checksSection(report), certificatesSection(report)]) {
    if (text !== undefined) blocks.push(section(text));
  }
  const generated = new Date(report.generatedAt);
  blocks.push(context(`Diagnosed ${slackDate(generated)} · cluster ${codeSpan(truncateMrkdwn(options.cluster, 100))}`));
  const refused = report.mtls.filter((r) => r.outcome === "refused").map((r) => r.port);
  const fallback = `${escapeMrkdwn(reportSubject(report))} on ${escapeMrkdwn(options.cluster)}: ${
    report.verdict === "ok" ? "no problems found" : `${report.verdict} (${describeCounts(severityCounts(report.findings))})`
  }${refused.length > 0 ? `; refused on port ${refused.slice(0, 10).join(", ")}` : ""}`;
  return slackMessage(fallback, blocks);
}
