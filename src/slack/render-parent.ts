// The parent message in the channel: slash commands cannot run in threads, so this message is the
// thread's root. It is posted when the request arrives and updated (chat.update) as the job goes on.
import type { Report } from "../report/report.js";
import { codeSpan, escapeMrkdwn } from "./escape-mrkdwn.js";
import { mentionUser } from "./mention-user.js";
import { describeCounts, severityCounts } from "./severity-counts.js";
import { severityEmoji } from "./severity-emoji.js";
import { context, section, slackMessage, type ContextBlock, type SlackMessage } from "./slack-message.js";
import { slackLink } from "./slack-link.js";
import { truncateMrkdwn } from "./truncate-mrkdwn.js";

/**
 * What the parent message is about. A check: `service` in `namespace`, optionally `from` a client
 * (names as typed or resolved). A scan (`scan: true`): `namespace` says which namespaces
 * ("shop", "shop, billing" or "all namespaces") and `service` is not used.
 */
export interface ParentContext {
  service: string;
  namespace: string;
  cluster: string;
  /** Slack user ID of who asked. */
  requestedBy: string;
  from?: string;
  scan?: boolean;
}

/** Names are capped so that one absurd input cannot push the rest of the line out. */
const NAME_CHARS = 200;

function name(raw: string): string {
  return `*${truncateMrkdwn(escapeMrkdwn(raw), NAME_CHARS)}*`;
}

function hasFrom(subject: ParentContext): subject is ParentContext & { from: string } {
  return subject.from !== undefined && subject.from !== "";
}

/** `*inventory.shop* from *report-generator* on *prod*` (escaped mrkdwn). */
function describe(subject: ParentContext): string {
  if (subject.scan === true) return `${name(subject.namespace)} on ${name(subject.cluster)}`;
  const from = hasFrom(subject) ? ` from ${name(subject.from)}` : "";
  return `${name(`${subject.service}.${subject.namespace}`)}${from} on ${name(subject.cluster)}`;
}

/** The same without formatting, for the notification text. */
function plainDescribe(subject: ParentContext): string {
  if (subject.scan === true) return escapeMrkdwn(`${subject.namespace} on ${subject.cluster}`);
  const from = hasFrom(subject) ? ` from ${subject.from}` : "";
  return escapeMrkdwn(`${subject.service}.${subject.namespace}${from} on ${subject.cluster}`);
}

/** The command as it would be typed, so that people can run it again. */
function commandLine(subject: ParentContext): string {
  if (subject.scan === true) {
    const one = /^[a-z0-9-]+$/.test(subject.namespace) ? ` ${subject.namespace}` : "";
    return `/mtls scan${one} cluster ${subject.cluster}`;
  }
  const from = hasFrom(subject) ? ` from ${subject.from}` : "";
  return `/mtls check ${subject.service}.${subject.namespace}${from} cluster ${subject.cluster}`;
}

function requestedBy(subject: ParentContext, extra?: string): ContextBlock {
  const parts = [`Requested by ${mentionUser(subject.requestedBy)}`, codeSpan(truncateMrkdwn(commandLine(subject), 300))];
  if (extra !== undefined) parts.push(extra);
  return context(parts.join(" · "));
}

function verb(subject: ParentContext): string {
  return subject.scan === true ? "Scanning" : "Checking";
}

export function renderParentPending(subject: ParentContext): SlackMessage {
  return slackMessage(`${verb(subject)} ${plainDescribe(subject)}…`, [
    section(`⏳ ${verb(subject)} ${describe(subject)}…`),
    requestedBy(subject),
  ]);
}

export type ProgressSubject = ParentContext & {
  done: number;
  total: number;
  /** The check running now. */
  current?: string;
};

const BAR_CELLS = 10;

function progressBar(done: number, total: number): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(share * BAR_CELLS);
  return `${"▓".repeat(filled)}${"░".repeat(BAR_CELLS - filled)}`;
}

export function renderParentProgress(subject: ProgressSubject): SlackMessage {
  const total = Math.max(0, Math.floor(subject.total));
  const done = Math.min(total, Math.max(0, Math.floor(subject.done)));
  const current = subject.current !== undefined && subject.current !== "" ? ` · running ${codeSpan(truncateMrkdwn(subject.current, 100))}` : "";
  return slackMessage(`${verb(subject)} ${plainDescribe(subject)}: ${done} of ${total} checks done`, [
    section(`⏳ ${verb(subject)} ${describe(subject)}…\n\`${progressBar(done, total)}\` ${done} of ${total} checks done${current}`),
    requestedBy(subject),
  ]);
}

export type VerdictSubject = ParentContext & {
  report: Report;
  /** Link to the thread's first reply (chat.getPermalink), when known. */
  threadPermalink?: string;
};

export function renderParentVerdict(subject: VerdictSubject): SlackMessage {
  const { report } = subject;
  const counts = describeCounts(severityCounts(report.findings));
  const worst = report.findings[0];
  const emoji = severityEmoji(report.verdict);
  const outcome = report.verdict === "ok" ? "no problems found" : `*${report.verdict}*`;
  const worstText = worst ? ` · worst: *${escapeMrkdwn(`${worst.code} ${worst.name}`)}*` : "";
  const line = report.verdict === "ok" ? `${emoji} ${describe(subject)}: ${outcome}` : `${emoji} ${describe(subject)}: ${outcome} — ${counts}${worstText}`;
  const thread = slackLink(subject.threadPermalink, "Details in the thread");
  const fallback = `${plainDescribe(subject)}: ${report.verdict === "ok" ? "no problems found" : `${report.verdict} (${counts})`}${
    worst ? ` — ${escapeMrkdwn(`${worst.code} ${worst.name}`)}` : ""
  }`;
  return slackMessage(fallback, [section(line), requestedBy(subject, thread)]);
}

export type ErrorSubject = ParentContext & {
  /** What went wrong, e.g. "the worker for cluster prod is not running". */
  message: string;
  /** What the user can do next; a sensible default otherwise. */
  nextStep?: string;
};

const DEFAULT_NEXT_STEP =
  "Run `/mtls clusters` to see which clusters have a running worker, then try again. If it keeps failing, ask whoever runs mtls-doctor to look at the worker's logs.";

export function renderParentError(subject: ErrorSubject): SlackMessage {
  const message = truncateMrkdwn(escapeMrkdwn(subject.message), 1500);
  const next = subject.nextStep !== undefined ? truncateMrkdwn(escapeMrkdwn(subject.nextStep), 1000) : DEFAULT_NEXT_STEP;
  return slackMessage(`Could not check ${plainDescribe(subject)}: ${truncateMrkdwn(escapeMrkdwn(subject.message), 500)}`, [
    section(`❌ Could not ${subject.scan === true ? "scan" : "check"} ${describe(subject)}: ${message}`),
    section(`*What to do:* ${next}`),
    requestedBy(subject),
  ]);
}
