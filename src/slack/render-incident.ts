// Messages for the incident channel: the announcement of new problems (one per report, one line per
// code), its threaded details (every finding, grouped by code, over as many replies as Slack needs),
// and the resolution posted in the announcement's thread when a later check no longer sees them.
import type { Severity } from "../checks/codes.js";
import { codeSpan, escapeMrkdwn } from "./escape-mrkdwn.js";
import { fitLines } from "./fit-lines.js";
import { mentionUser } from "./mention-user.js";
import { SEVERITY_EMOJI } from "./severity-emoji.js";
import { context, header, SECTION_BUDGET, section, SLACK_LIMITS, slackMessage, type Block, type SlackMessage } from "./slack-message.js";
import { slackDate } from "./slack-date.js";
import { slackLink } from "./slack-link.js";
import { truncateMrkdwn } from "./truncate-mrkdwn.js";

/** What led to the report that found (or no longer found) the problems. */
export interface IncidentTrigger {
  origin: "command" | "schedule" | "watch";
  /** What was diagnosed, as plain text: `storefront.shop`, `scan of shop`. */
  subject: string;
  /** Commands: who asked. */
  userId?: string;
  /** Commands: the requester's thread. */
  permalink?: string;
}

export interface IncidentFindingView {
  code: string;
  name: string;
  severity: Severity;
  resource: string;
  message: string;
  evidence?: readonly string[];
}

export interface AnnouncementInput {
  cluster: string;
  trigger: IncidentTrigger;
  /** The new findings (one or more). */
  findings: readonly IncidentFindingView[];
  /** Findings of this report that were announced before and are still open. */
  stillOpen: number;
  at: Date;
}

export interface ResolutionInput {
  cluster: string;
  trigger: IncidentTrigger;
  resolved: readonly (Pick<IncidentFindingView, "code" | "name" | "resource"> & { firstSeen: string })[];
  at: Date;
}

export interface DetailsOptions {
  /** Blocks per reply (Slack allows 50). */
  maxBlocks?: number;
  /** Length of a reply's blocks as JSON. */
  maxJson?: number;
}

const MESSAGE_CHARS = 400;
const EVIDENCE_LINES = 2;
const EVIDENCE_CHARS = 200;

function worst(findings: readonly Pick<IncidentFindingView, "severity">[]): Severity {
  return findings.some((f) => f.severity === "critical") ? "critical" : findings.some((f) => f.severity === "warning") ? "warning" : "info";
}

/** Findings grouped by code, in the order codes first appear. */
function byCode<T extends Pick<IncidentFindingView, "code">>(findings: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const f of findings) groups.set(f.code, [...(groups.get(f.code) ?? []), f]);
  return [...groups.values()];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function triggerLine(trigger: IncidentTrigger): string {
  switch (trigger.origin) {
    case "command": {
      const who = trigger.userId ? `Asked by ${mentionUser(trigger.userId)}` : "Asked in Slack";
      return trigger.permalink ? `${who} · ${slackLink(trigger.permalink, "the diagnosis thread")}` : who;
    }
    case "schedule":
      return "Found by the scheduled scan";
    case "watch":
      return "Found by a scan after a change to mTLS policies";
  }
}

function resolverLine(trigger: IncidentTrigger): string {
  const subject = escapeMrkdwn(trigger.subject);
  switch (trigger.origin) {
    case "command":
      return `no longer seen by ${subject}${trigger.userId ? ` (asked by ${mentionUser(trigger.userId)})` : ""}`;
    case "schedule":
      return "no longer seen by the scheduled scan";
    case "watch":
      return "no longer seen by a scan after a change to mTLS policies";
  }
}

function codeLine(group: readonly IncidentFindingView[]): string {
  const first = group[0] as IncidentFindingView;
  const title = `${SEVERITY_EMOJI[first.severity]} *${escapeMrkdwn(first.code)}* ${escapeMrkdwn(first.name)}`;
  if (group.length === 1) return `• ${title}: ${truncateMrkdwn(escapeMrkdwn(first.message), 250)}`;
  return `• ${title} on ${group.length} resources, e.g. ${codeSpan(truncateMrkdwn(first.resource, 120))}`;
}

/** The one top-level message for a report's new problems: subject, cluster, one line per code, who asked. */
export function renderIncidentAnnouncement(input: AnnouncementInput): SlackMessage {
  const severity = worst(input.findings);
  const groups = byCode(input.findings);
  const subject = truncateMrkdwn(escapeMrkdwn(input.trigger.subject), 300);
  const cluster = truncateMrkdwn(escapeMrkdwn(input.cluster), 100);
  const impact = severity === "critical" ? "traffic is or will be refused" : "mTLS will break soon";
  const intro = `*${subject}* on *${cluster}*: ${plural(input.findings.length, "new problem")}, ${impact}.\n${triggerLine(input.trigger)}`;
  const lines = fitLines(groups.map(codeLine), { maxChars: SECTION_BUDGET, more: (n) => `… ${n} more code(s) in the thread` });
  const notes = [`Every finding is in the thread · ${slackDate(input.at)}`];
  if (input.stillOpen > 0) notes.push(`${plural(input.stillOpen, "earlier problem")} still open`);
  const blocks: Block[] = [
    header(`${SEVERITY_EMOJI[severity]} mTLS ${severity === "critical" ? "broken" : "at risk"}: ${input.trigger.subject} on ${input.cluster}`),
    section(intro),
    section(lines.text),
    context(...notes),
  ];
  const codes = groups.map((g) => g[0]?.code ?? "").join(", ");
  const fallback = `${SEVERITY_EMOJI[severity]} mTLS ${severity === "critical" ? "broken" : "at risk"} on ${escapeMrkdwn(input.cluster)}: ${escapeMrkdwn(input.trigger.subject)} (${escapeMrkdwn(codes)})`;
  return slackMessage(fallback, blocks);
}

function findingLines(finding: IncidentFindingView): string {
  const evidence = (finding.evidence ?? []).slice(0, EVIDENCE_LINES).map((e) => `    ↳ ${truncateMrkdwn(escapeMrkdwn(e), EVIDENCE_CHARS)}`);
  return [`• ${codeSpan(truncateMrkdwn(finding.resource, 200))}: ${truncateMrkdwn(escapeMrkdwn(finding.message), MESSAGE_CHARS)}`, ...evidence].join("\n");
}

/** Sections of one code group, each within the section budget; the title repeats on continuations. */
function groupSections(group: readonly IncidentFindingView[]): string[] {
  const first = group[0] as IncidentFindingView;
  const title = `${SEVERITY_EMOJI[first.severity]} *${escapeMrkdwn(first.code)} ${escapeMrkdwn(first.name)}* (${group.length})`;
  const sections: string[] = [];
  let current: string[] = [];
  let length = title.length;
  for (const finding of group) {
    const text = findingLines(finding);
    if (current.length > 0 && length + 1 + text.length > SECTION_BUDGET) {
      sections.push([sections.length === 0 ? title : `${title} continued`, ...current].join("\n"));
      current = [];
      length = title.length + " continued".length;
    }
    current.push(text);
    length += 1 + text.length;
  }
  sections.push([sections.length === 0 ? title : `${title} continued`, ...current].join("\n"));
  return sections;
}

/**
 * Every finding of an announcement, grouped by code, as thread replies: as many as it takes for each
 * to stay within Slack's limits (blocks per message, characters per section and per message).
 */
export function renderIncidentDetails(cluster: string, findings: readonly IncidentFindingView[], options: DetailsOptions = {}): SlackMessage[] {
  const maxBlocks = Math.min(options.maxBlocks ?? 40, SLACK_LIMITS.blocks - 1);
  const maxJson = Math.min(options.maxJson ?? SLACK_LIMITS.blocksJson - 1_000, SLACK_LIMITS.blocksJson);
  const pages: Block[][] = [];
  let page: Block[] = [];
  for (const text of byCode(findings).flatMap(groupSections)) {
    const block = section(text);
    if (page.length > 0 && (page.length + 1 > maxBlocks || JSON.stringify([...page, block]).length > maxJson)) {
      pages.push(page);
      page = [];
    }
    page.push(block);
  }
  if (page.length > 0) pages.push(page);
  return pages.map((blocks, i) => {
    const part = pages.length > 1 ? ` (part ${i + 1} of ${pages.length})` : "";
    const fallback = `Details on ${escapeMrkdwn(cluster)}: ${plural(findings.length, "finding")}${part}`;
    return slackMessage(fallback, i === 0 ? [context(`${plural(findings.length, "finding")}, grouped by code${part}`), ...blocks] : [context(`Continued${part}`), ...blocks]);
  });
}

/** The reply in an announcement's thread when its problems are gone. */
export function renderIncidentResolved(input: ResolutionInput): SlackMessage {
  const lines = input.resolved.map(
    (r) =>
      `• *${escapeMrkdwn(r.code)}* ${escapeMrkdwn(r.name)} ${codeSpan(truncateMrkdwn(r.resource, 200))}, open since ${slackDate(new Date(r.firstSeen))}`,
  );
  const list = fitLines(lines, { maxChars: SECTION_BUDGET, more: (n) => `… and ${n} more` });
  const cluster = truncateMrkdwn(escapeMrkdwn(input.cluster), 100);
  const blocks: Block[] = [
    section(`${SEVERITY_EMOJI.ok} *Resolved* on *${cluster}*: ${plural(input.resolved.length, "problem")} ${resolverLine(input.trigger)}.`),
    section(list.text),
    context(`Checked ${slackDate(input.at)}`),
  ];
  const what = input.resolved
    .slice(0, 5)
    .map((r) => `${r.code} ${r.resource}`)
    .join(", ");
  return slackMessage(`${SEVERITY_EMOJI.ok} Resolved on ${escapeMrkdwn(input.cluster)}: ${escapeMrkdwn(what)}${input.resolved.length > 5 ? " …" : ""}`, blocks);
}
