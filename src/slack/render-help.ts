// Replies to `/mtls help`, to a command that cannot be read, and to `/mtls clusters`.
import type { PreflightSummary } from "../preflight/preflight-summary.js";
import { codeSpan, escapeMrkdwn } from "./escape-mrkdwn.js";
import { fitLines } from "./fit-lines.js";
import { context, header, section, slackMessage, SECTION_BUDGET, type SlackMessage } from "./slack-message.js";
import { slackDate } from "./slack-date.js";
import { truncateMrkdwn } from "./truncate-mrkdwn.js";

export interface HelpOptions {
  approveReaction?: string;
  rejectReaction?: string;
}

// Escaped once here: `<svc>` as such would be read by Slack as a link.
const COMMANDS = escapeMrkdwn([
  "`/mtls check <svc>[.<ns>] [from <workload>[.<ns>]] [cluster <name>]` — why mutual TLS fails for one service, optionally as seen from one client",
  "`/mtls scan [<ns>]` — every service of a namespace (default: every namespace but Kubernetes' own)",
  "`/mtls clusters` — the clusters that have a running worker",
  "`/mtls help` — this message",
].join("\n"));

const EXAMPLES = [
  "`/mtls check inventory.shop from report-generator.legacy`",
  "`/mtls check payments cluster prod`",
  "`/mtls scan shop`",
].join("\n");

export function renderHelp(options: HelpOptions = {}): SlackMessage {
  const approve = escapeMrkdwn(options.approveReaction ?? "white_check_mark");
  const reject = escapeMrkdwn(options.rejectReaction ?? "x");
  return slackMessage("mtls-doctor: /mtls check, /mtls scan, /mtls clusters, /mtls help", [
    header("mtls-doctor"),
    section("Finds why mutual TLS fails between services in an Istio mesh, and suggests the fix."),
    section(`*Commands*\n${COMMANDS}`),
    section(`*Examples*\n${EXAMPLES}\nA service without a namespace is in \`default\`; \`from\` names a Service, Deployment, StatefulSet or DaemonSet, in the target's namespace unless given.`),
    section(
      `*Results* come in a thread: a summary, one reply per finding (its code, e.g. \`MTLS201 PlaintextClientToStrictServer\`, is searchable), and each fix as its own reply with its YAML attached. An approver reacts :${approve}: on a fix to apply it (dry-run, server-side apply, re-check) or :${reject}: to dismiss it.`,
    ),
  ]);
}

export function renderUsage(problem: string): SlackMessage {
  const what = truncateMrkdwn(escapeMrkdwn(problem), 1000);
  return slackMessage(`I could not read that command: ${truncateMrkdwn(escapeMrkdwn(problem), 300)}`, [
    section(`⚠️ I could not read that command: ${what}`),
    section(`*Commands*\n${COMMANDS}`),
    context("Nothing was run. `/mtls help` shows examples."),
  ]);
}

export interface ClusterInfo {
  name: string;
  /** Workers with a live heartbeat. */
  workers: number;
  /** The latest heartbeat (a Date, or an ISO 8601 string as stored in Redis). */
  lastSeen: Date | string;
  /** What its workers' preflight found at start-up, when one has reported it. */
  preflight?: PreflightSummary;
}

const PROBLEMS_SHOWN = 3;

/** One line on a cluster's preflight, and a sub-line per problem (at most a few), each with what enables it. */
function preflightLines(summary: PreflightSummary | undefined): string[] {
  if (summary === undefined) return ["    preflight: not reported yet"];
  if (summary.ready && summary.degraded === 0) return ["    preflight: ✅ everything works"];
  const head = summary.ready
    ? `⚠️ ready, ${summary.degraded} optional item${summary.degraded === 1 ? "" : "s"} missing (some checks are skipped)`
    : `❌ not ready: ${summary.blocking} required item${summary.blocking === 1 ? "" : "s"} missing`;
  const shown = summary.problems.slice(0, PROBLEMS_SHOWN).map((p) => `      ◦ ${p.required ? "required" : "optional"} ${codeSpan(truncateMrkdwn(p.name, 80))}: ${truncateMrkdwn(escapeMrkdwn(p.enable), 240)}`);
  const rest = summary.blocking + summary.degraded - shown.length;
  return [`    preflight: ${head}`, ...shown, ...(rest > 0 ? [`      ◦ … ${rest} more: run \`mtls-doctor preflight\` in the worker`] : [])];
}

export function renderClusters(clusters: readonly ClusterInfo[]): SlackMessage {
  if (clusters.length === 0) {
    return slackMessage("No cluster has a running worker", [
      section(
        "⚠️ No cluster has a running worker, so nothing can be checked yet. Start `mtls-doctor worker` in each cluster (with `CLUSTER_NAME` set); it shows up here once it is connected.",
      ),
    ]);
  }
  const sorted = [...clusters].sort((a, b) => a.name.localeCompare(b.name));
  const lines = sorted.map((c) => {
    const state = c.workers > 0 ? `✅ ${c.workers} worker${c.workers === 1 ? "" : "s"}` : "⚠️ no running worker";
    return [`• *${truncateMrkdwn(escapeMrkdwn(c.name), 100)}* — ${state}, last seen ${slackDate(new Date(c.lastSeen), "{ago}")}`, ...preflightLines(c.preflight)].join("\n");
  });
  const title = "*Clusters*";
  const list = fitLines(lines, { maxChars: SECTION_BUDGET - title.length - 1, maxLines: 40, more: (n) => `… ${n} more not shown` });
  const live = clusters.filter((c) => c.workers > 0).length;
  return slackMessage(`${live} of ${clusters.length} cluster(s) have a running worker`, [
    section(`${title}\n${list.text}`),
    context(`Check one with ${codeSpan("/mtls check <svc>[.<ns>] cluster <name>")}`),
  ]);
}
