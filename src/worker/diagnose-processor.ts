import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import type { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import type { ClusterSnapshot } from "../cluster/snapshot.js";
import type { Finding, Fix } from "../checks/finding.js";
import { diagnose } from "../engine/diagnose.js";
import type { DiagnoseRequest } from "../engine/request.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";
import { publishAnswer } from "../queue/enqueue-diagnose.js";
import type { DiagnoseJobData, DiagnoseJobResult } from "../queue/jobs.js";
import { stateKey } from "../queue/names.js";
import type { Report } from "../report/report.js";
import { renderFindings } from "../slack/render-findings.js";
import { fixFilename, renderFixReply } from "../slack/render-fix.js";
import { renderParentError, renderParentProgress, renderParentVerdict, type ParentContext } from "../slack/render-parent.js";
import { renderSummary } from "../slack/render-summary.js";
import { renderJoinedAnswer } from "../slack/render-joined-answer.js";
import { ThreadPublisher } from "../slack/thread-publisher.js";

/** Collects what the checks need for a request; throws for what retrying may fix (network, 5xx). */
export type Collector = (request: DiagnoseRequest, onProgress: (message: string) => void) => Promise<ClusterSnapshot>;

export interface PostedFix {
  job: DiagnoseJobData;
  /** The cluster state the fix was computed from: the approvals layer records each object's resourceVersion. */
  snapshot: ClusterSnapshot;
  finding: Finding;
  fix: Fix;
  /** The fix reply people react to. */
  channel: string;
  ts: string;
  expiresAt: Date;
}

export interface DiagnoseProcessorDeps {
  slack: WebClient;
  redis: Redis;
  prefix: string;
  collect: Collector;
  logger: Logger;
  metrics: Metrics;
  fixes: { enabled: boolean; approveReaction: string; rejectReaction: string; ttlMs: number };
  now?: () => Date;
  /** A fix reply was posted: the approvals layer records what may be applied from it. */
  onFixPosted?: (posted: PostedFix) => Promise<void>;
  /** The report is complete and posted: incident notifications hook in here. */
  onReport?: (report: Report, job: DiagnoseJobData, permalink: string | undefined) => Promise<void>;
}

const PROGRESS_INTERVAL_MS = 1_500;
/** Fix replies per report; more are uploaded together in one file, to be applied by hand. */
const MAX_FIX_REPLIES = 15;

export function toDiagnoseRequest(data: DiagnoseJobData, now: Date): DiagnoseRequest {
  const t = data.target;
  if (t.mode === "scan") return { mode: "scan", namespaces: [...t.namespaces], now };
  const request: DiagnoseRequest = { mode: "check", target: { service: t.service, namespace: t.namespace }, now };
  if (t.from) request.from = { ...t.from };
  return request;
}

function parentContext(data: DiagnoseJobData): ParentContext {
  const t = data.target;
  const context: ParentContext = {
    cluster: data.cluster,
    requestedBy: data.thread.userId,
    service: t.mode === "check" ? t.service : "",
    namespace: t.mode === "check" ? t.namespace : t.namespaces.join(", ") || "all namespaces",
  };
  if (t.mode === "check" && t.from) context.from = `${t.from.name}.${t.from.namespace}`;
  if (t.mode === "scan") context.scan = true;
  return context;
}

/**
 * The diagnose job: collect from the cluster, run the checks, and answer in the requester's thread
 * (parent verdict, summary, one reply per finding, one reply and one YAML file per fix). Every reply is
 * posted at most once across retries; requesters who joined the same request get a pointer to it.
 */
export function createDiagnoseProcessor(deps: DiagnoseProcessorDeps): (job: Job<DiagnoseJobData>) => Promise<DiagnoseJobResult> {
  const now = deps.now ?? (() => new Date());
  return async (job) => {
    const data = job.data;
    if (data.thread.channel === "" || data.thread.parentTs === "") throw new UnrecoverableError("job has no Slack thread to answer in");
    const publisher = new ThreadPublisher(deps.slack, deps.redis, stateKey(deps.prefix, "posted", job.id ?? data.requestKey), data.thread.channel, data.thread.parentTs);
    const context = parentContext(data);
    const started = Date.now();
    let lastUpdate = 0;
    const progress = async (done: number, total: number, current: string, force = false) => {
      if (!force && Date.now() - lastUpdate < PROGRESS_INTERVAL_MS) return;
      lastUpdate = Date.now();
      await publisher.updateParent(renderParentProgress({ ...context, done, total, current })).catch((err: unknown) => {
        deps.logger.warn({ err, jobId: job.id }, "could not update the progress message");
      });
    };
    try {
      await progress(0, 3, "collecting cluster state", true);
      const request = toDiagnoseRequest(data, now());
      const snapshot = await deps.collect(request, (message) => void progress(0, 3, message));
      await progress(1, 3, "running checks", true);
      const report = diagnose(snapshot, request);
      for (const f of report.findings) deps.metrics.findings.inc({ code: f.code, severity: f.severity });
      await progress(2, 3, "posting results", true);
      const permalink = await publishReport(deps, publisher, data, report, now(), snapshot);
      await publisher.updateParent(renderParentVerdict({ ...context, report, ...(permalink ? { threadPermalink: permalink } : {}) }));
      const joined = await publishAnswer(deps.redis, deps.prefix, data.requestKey, {
        ...(permalink ? { permalink } : {}),
        summary: renderParentVerdict({ ...context, report }).text,
        result: resultOf(report),
      });
      for (const thread of joined) {
        await deps.slack.chat.postMessage({ channel: thread.channel, thread_ts: thread.parentTs, ...renderJoinedAnswer({ ...context, report, ...(permalink ? { permalink } : {}) }) });
      }
      if (deps.onReport) await deps.onReport(report, data, permalink);
      deps.metrics.jobDuration.observe({ queue: "diagnose" }, (Date.now() - started) / 1000);
      return resultOf(report);
    } catch (err) {
      const finalAttempt = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      deps.logger.error({ err, jobId: job.id, attempt: job.attemptsMade + 1, cluster: data.cluster }, "diagnosis failed");
      if (finalAttempt) {
        await publisher
          .updateParent(renderParentError({ ...context, message: `the diagnosis failed: ${(err as Error).message}` }))
          .catch(() => undefined);
      }
      throw err;
    }
  };
}

function resultOf(report: Report): DiagnoseJobResult {
  return { verdict: report.verdict, findings: report.findings.length, codes: [...new Set(report.findings.map((f) => f.code))] };
}

async function publishReport(
  deps: DiagnoseProcessorDeps,
  publisher: ThreadPublisher,
  data: DiagnoseJobData,
  report: Report,
  now: Date,
  snapshot: ClusterSnapshot,
): Promise<string | undefined> {
  await publisher.reply("summary", renderSummary(report, { cluster: data.cluster }));
  const rendered = renderFindings(report);
  for (const [i, message] of rendered.messages.entries()) await publisher.reply(`finding:${i}`, message);
  if (rendered.overflow) {
    await publisher.upload("overflow", { filename: rendered.overflow.filename, title: "Full findings", content: rendered.overflow.content });
  }
  const expiresAt = new Date(now.getTime() + deps.fixes.ttlMs);
  // One reply per distinct fix: the same fix (label a namespace, say) can answer several findings.
  const distinct = new Map<string, { fix: Fix; finding: Finding }>();
  for (const finding of report.findings) {
    for (const fix of finding.fixes) if (!distinct.has(fix.yaml)) distinct.set(fix.yaml, { fix, finding });
  }
  const fixes = [...distinct.values()];
  for (const [i, { fix, finding }] of fixes.slice(0, MAX_FIX_REPLIES).entries()) {
    const step = `fix:${i}`;
    const ts = await publisher.reply(
      step,
      renderFixReply(fix, finding, {
        approveReaction: deps.fixes.approveReaction,
        rejectReaction: deps.fixes.rejectReaction,
        fixesEnabled: deps.fixes.enabled,
        expiresAt,
      }),
    );
    await publisher.upload(`${step}:yaml`, { filename: fixFilename(fix, finding), title: fix.title, content: fix.yaml });
    if (deps.onFixPosted && deps.fixes.enabled && !fix.manual) {
      await deps.onFixPosted({ job: data, snapshot, finding, fix, channel: data.thread.channel, ts, expiresAt });
    }
  }
  const rest = fixes.slice(MAX_FIX_REPLIES);
  if (rest.length > 0) {
    const content = rest.map(({ fix, finding }) => `# ${finding.code} ${finding.resource}: ${fix.title}\n${fix.yaml}`).join("---\n");
    await publisher.upload("fixes:rest", { filename: "more-fixes.yaml", title: `${rest.length} more fixes (apply by hand)`, content });
  }
  return publisher.permalink().catch(() => undefined);
}
