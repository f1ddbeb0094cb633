import type { Report } from "../report/report.js";
import { reportSubject } from "./report-subject.js";
import { severityEmoji } from "./severity-emoji.js";
import { describeCounts, severityCounts } from "./severity-counts.js";
import { context, section, slackMessage, type SlackMessage } from "./slack-message.js";
import { slackLink } from "./slack-link.js";
import { escapeMrkdwn } from "./escape-mrkdwn.js";
import type { ParentContext } from "./render-parent.js";

/**
 * The answer for someone who asked the same thing while it was already running: the verdict in short
 * and a link to the thread that holds the whole answer (the diagnosis ran once).
 */
export function renderJoinedAnswer(subject: ParentContext & { report: Report; permalink?: string }): SlackMessage {
  const counts = describeCounts(severityCounts(subject.report.findings));
  const what = escapeMrkdwn(reportSubject(subject.report));
  const link = subject.permalink ? slackLink(subject.permalink, "the full answer") : "the thread of the same request";
  const text = `${severityEmoji(subject.report.verdict)} ${what} on ${escapeMrkdwn(subject.cluster)}: ${counts}. The same request was already running; see ${link}.`;
  return slackMessage(text, [section(text), context("The diagnosis ran once for everyone who asked while it was running; asking again now runs it afresh.")]);
}
