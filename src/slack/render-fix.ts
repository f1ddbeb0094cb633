// A fix is its own reply: the message people react to. Its YAML is uploaded into the thread as a
// file by the caller; the reply shows a short preview and says how it gets applied.
import { byHandCommand, type Finding, type Fix, type FixRisk } from "../checks/finding.js";
import { codeBlock, codeSpan, escapeCodeLine, escapeMrkdwn } from "./escape-mrkdwn.js";
import { fitLines } from "./fit-lines.js";
import { safeFileStem } from "./safe-file-stem.js";
import { RISK_EMOJI, severityEmoji } from "./severity-emoji.js";
import { context, section, slackMessage, type SlackMessage } from "./slack-message.js";
import { slackDate } from "./slack-date.js";
import { truncateMrkdwn } from "./truncate-mrkdwn.js";

export interface FixReplyOptions {
  /** Reaction name without colons, e.g. `white_check_mark`. */
  approveReaction: string;
  rejectReaction: string;
  /** FIXES_ENABLED: when false, fixes are only shown, never applied from Slack. */
  fixesEnabled: boolean;
  /** When the offer to apply it lapses. */
  expiresAt: Date;
  /** YAML lines shown inline; the whole YAML is in the uploaded file. */
  previewLines?: number;
}

const RISK_MEANS: Readonly<Record<FixRisk, string>> = {
  low: "a policy exception or a label",
  medium: "restarts pods",
  high: "widens access",
};

const PREVIEW_LINE_CHARS = 120;
const PREVIEW_CHARS = 2000;
const REACTION = /^[a-z0-9_+'-]{1,100}$/;

function reaction(name: string): string {
  return REACTION.test(name) ? `:${name}:` : codeSpan(name);
}

function stemOf(target: string | undefined): string {
  if (target === undefined) return "";
  const ref = target.trim().split(/\s+/).pop() ?? "";
  return ref.slice(ref.lastIndexOf("/") + 1);
}

/** A file name for the fix's YAML: `mtls201-inventory-permissive-8080.yaml` (code, then the first object it touches). */
export function fixFilename(fix: Fix, finding: Finding): string {
  const base = (stem: string) => safeFileStem(`${finding.code}-${stem}`) || "fix";
  const name = base(stemOf(fix.targets[0]));
  const index = finding.fixes.indexOf(fix);
  const clash = finding.fixes.slice(0, Math.max(0, index)).some((other) => base(stemOf(other.targets[0])) === name);
  return `${clash ? `${name}-${index + 1}` : name}.yaml`;
}

function preview(yaml: string, maxLines: number): string {
  const all = yaml.trimEnd().split("\n");
  const lines = all.map((l) => escapeCodeLine(truncateMrkdwn(l, PREVIEW_LINE_CHARS)));
  const fitted = fitLines(lines, { maxChars: PREVIEW_CHARS, maxLines, more: (n) => `# … ${n} more line(s) in the file` });
  return codeBlock([fitted.text]);
}

/** The fix as its own reply: what it does, its risk, what it touches, and how to apply or dismiss it. */
export function renderFixReply(fix: Fix, finding: Finding, options: FixReplyOptions): SlackMessage {
  const filename = fixFilename(fix, finding);
  const title = truncateMrkdwn(escapeMrkdwn(fix.title), 600);
  const answers = `For ${severityEmoji(finding.severity)} *${escapeMrkdwn(`${finding.code} ${finding.name}`)}* on ${codeSpan(truncateMrkdwn(finding.resource, 300))}`;
  const targets = fitLines(
    fix.targets.map((t) => `• ${codeSpan(truncateMrkdwn(t, 200))}`),
    { maxChars: 1200, maxLines: 10, more: (n) => `… ${n} more in the file` },
  );
  const risk = `*Risk:* ${RISK_EMOJI[fix.risk]} ${fix.risk} (${RISK_MEANS[fix.risk]})`;
  const applicable = options.fixesEnabled && fix.manual !== true;
  const expires = slackDate(options.expiresAt);
  const how = applicable
    ? `React with ${reaction(options.approveReaction)} to apply it (dry-run first, then server-side apply, then a re-check) or ${reaction(options.rejectReaction)} to dismiss it. Approvers only; expires ${expires}.`
    : `By hand: ${codeSpan(byHandCommand(fix, filename))}\n${
        fix.manual === true
          ? "_This fix is for a person to review and apply: mtls-doctor never applies deletions or merges itself._"
          : "_Applying fixes from Slack is turned off here (FIXES_ENABLED)._"
      }`;
  const blocks = [
    section(`🛠️ *Fix:* ${title}\n${answers}`),
    section(`${risk}\n*Touches:*\n${targets.text}`),
    section(`*Preview* of ${codeSpan(filename)} (the whole YAML is attached in this thread)\n${preview(fix.yaml, options.previewLines ?? 15)}`),
    section(how),
    context(
      applicable
        ? `Answers ${escapeMrkdwn(finding.code)} · before applying, mtls-doctor checks that you are an approver and that the objects have not changed since this was suggested`
        : `Answers ${escapeMrkdwn(finding.code)} · mtls-doctor does not apply this fix from Slack`,
    ),
  ];
  const fallback = `Fix for ${escapeMrkdwn(finding.code)}: ${truncateMrkdwn(escapeMrkdwn(fix.title), 300)} (${fix.risk} risk)`;
  return slackMessage(fallback, blocks);
}
