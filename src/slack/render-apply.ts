import type { FixState } from "../approvals/pending-fix-store.js";
import type { Finding } from "../checks/finding.js";
import type { ApplyOutcome } from "../fixes/apply-fix.js";
import type { Report } from "../report/report.js";
import { codeSpan, escapeMrkdwn } from "./escape-mrkdwn.js";
import { mentionUser } from "./mention-user.js";
import { context, section, slackMessage, type SlackMessage } from "./slack-message.js";

export type ApplyReplyOutcome =
  | ApplyOutcome
  | { kind: "rolled-back"; restored: string[] }
  | { kind: "rollback-failed"; reason: string; restored: string[]; notRestored: string[] };

export type Verification =
  | { kind: "gone"; report: Report }
  | { kind: "still-there"; report: Report }
  | { kind: "replaced"; report: Report; others: Finding[] }
  | { kind: "unknown"; reason: string };

function list(items: readonly string[]): string {
  return items.length === 0 ? "nothing" : items.map((i) => codeSpan(i)).join(", ");
}

function fixName(state: FixState): string {
  return `${escapeMrkdwn(state.fix.title)} (${codeSpan(state.fix.finding.code)})`;
}

/** The thread's record of what happened to an approved fix (or a rollback). */
export function renderApplyOutcome(outcome: ApplyReplyOutcome, state: FixState, actor: string): SlackMessage {
  const who = mentionUser(actor);
  switch (outcome.kind) {
    case "applied": {
      const text = `:white_check_mark: Applied ${fixName(state)}, approved by ${who}: ${list(outcome.after.map((o) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`))}. Dry run passed, then server-side apply (field manager mtls-doctor). Re-checking…`;
      return slackMessage(text, [section(text), context("React with :rewind: on this message to roll it back to exactly what it was before.")]);
    }
    case "refused": {
      const text = `:no_entry: Not applied: ${escapeMrkdwn(outcome.reason)}.`;
      return slackMessage(text, [section(text), context(`Approved by ${who}. Nothing in the cluster was changed.`)]);
    }
    case "failed": {
      const rolled = outcome.rolledBack.length > 0 ? ` Rolled back: ${list(outcome.rolledBack)}.` : "";
      const left = outcome.notRolledBack.length > 0 ? ` :warning: Could NOT roll back: ${list(outcome.notRolledBack)}; check them by hand.` : "";
      const text = `:x: Applying failed: ${escapeMrkdwn(outcome.reason)}. Applied before the failure: ${list(outcome.applied)}.${rolled}${left}`;
      return slackMessage(text, [section(text), context(`Approved by ${who}.`)]);
    }
    case "rolled-back": {
      const text = `:rewind: Rolled back ${fixName(state)} at the request of ${who}: ${list(outcome.restored)} restored to their prior state. Re-checking…`;
      return slackMessage(text, [section(text)]);
    }
    case "rollback-failed": {
      const text = `:x: Rollback failed: ${escapeMrkdwn(outcome.reason)}. Restored: ${list(outcome.restored)}. Not restored: ${list(outcome.notRestored)}; check them by hand.`;
      return slackMessage(text, [section(text), context(`Requested by ${who}.`)]);
    }
  }
}

/** The re-check after applying: is the finding gone, still there, or replaced by another? */
export function renderVerification(v: Verification, finding: { code: string; resource: string }, afterRollback: boolean): SlackMessage {
  const subject = `${codeSpan(finding.code)} on ${codeSpan(finding.resource)}`;
  let text: string;
  switch (v.kind) {
    case "gone":
      text = afterRollback ? `Re-check after the rollback: ${subject} is not reported (verdict: ${v.report.verdict}).` : `:tada: Re-check: ${subject} is gone (verdict: ${v.report.verdict}).`;
      break;
    case "still-there":
      text = afterRollback ? `Re-check after the rollback: ${subject} is back, as before the fix.` : `:warning: Re-check: ${subject} is still reported. The proxies may need a moment to receive the change; run the check again in a minute.`;
      break;
    case "replaced":
      text = `:warning: Re-check: ${subject} is gone, but now: ${v.others.map((f) => `${codeSpan(f.code)} ${escapeMrkdwn(f.name)} on ${codeSpan(f.resource)}`).join("; ")}.`;
      break;
    case "unknown":
      text = `:grey_question: The re-check could not run: ${escapeMrkdwn(v.reason)}. Run \`/mtls check\` again to see the result.`;
      break;
  }
  return slackMessage(text, [section(text)]);
}

/** Replies of the bot when a reaction is taken. */
export function renderApproved(actor: string): SlackMessage {
  const text = `:hourglass_flowing_sand: Approved by ${mentionUser(actor)}. Applying: dry run first, then server-side apply, then a re-check.`;
  return slackMessage(text, [section(text)]);
}

export function renderDismissed(actor: string): SlackMessage {
  const text = `:x: Dismissed by ${mentionUser(actor)}. This fix will not be applied.`;
  return slackMessage(text, [section(text)]);
}

export function renderExpired(expiresAt: string): SlackMessage {
  const text = `:hourglass: This fix expired at ${escapeMrkdwn(expiresAt)} and can no longer be applied. Run \`/mtls check\` again for a fresh one.`;
  return slackMessage(text, [section(text)]);
}

export function renderRollingBack(actor: string): SlackMessage {
  const text = `:rewind: Rolling back, as ${mentionUser(actor)} asked…`;
  return slackMessage(text, [section(text)]);
}

export function renderNotAllowed(reason: string): SlackMessage {
  const text = `You cannot do that here: ${escapeMrkdwn(reason)}.`;
  return slackMessage(text, [section(text)]);
}
