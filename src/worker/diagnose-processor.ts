import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import type { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import type { ClusterSnapshot } from "../cluster/snapshot.js";
import type { Finding, Fix } from "../checks/finding.js";
import type { CheckOptions } from "../checks/types.js";
import { diagnose } from "../engine/diagnose.js";
import type { DiagnoseRequest } from "../engine/request.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";
import { finishRequest } from "../queue/enqueue-diagnose.js";
import type { DiagnoseJobData, DiagnoseJobResult } from "../queue/jobs.js";
import { stateKey } from "../queue/names.js";
import type { Report } from "../report/report.js";
import { renderFindings } from "../slack/render-findings.js";
import { fixFilename, renderFixReply } from "../slack/render-fix.js";
import { renderParentError, renderParentProgress, renderParentVerdict, type ParentContext } from "../slack/render-parent.js";
import { renderSummary } from "../slack/render-summary.js";
import { renderJoinedAnswer } from "../slack/render-joined-answer.js";
import { ThreadPublisher } from "../slack/thread-publisher.js";
import { permanentFailure } from "./permanent-failure.js";

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
  /** Check options from the configuration (the certificate warning window). */
  checkOptions?: Partial<CheckOptions>;
}

/** A publisher for one thread, sharing the job's record of posted steps. */
type ThreadOf = (channel: string, parentTs: string) => ThreadPublisher;

const PROGRESS_INTERVAL_MS = 1_500;

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
    if (data.origin !== "command") return diagnoseUnattended(deps, job, now());
    if (data.thread.channel === "" || data.thread.parentTs === "") throw new UnrecoverableError("job has no Slack thread to answer in");
    // One record of posted steps per job, for every thread it answers in.
    const stepsKey = stateKey(deps.prefix, "posted", job.id ?? data.requestKey);
    const threadOf: ThreadOf = (channel, parentTs) => new ThreadPublisher(deps.slack, deps.redis, stepsKey, channel, parentTs);
    const publisher = threadOf(data.thread.channel, data.thread.parentTs);
    const context = parentContext(data);
    const started = Date.now();
    let lastUpdate = 0;
    // Parent updates are chained: a progress update that Slack holds back (429) never lands after a later one, or after the verdict.
    let parentUpdates = Promise.resolve();
    const progress = (done: number, total: number, current: string, force = false): Promise<void> => {
      if (!force && Date.now() - lastUpdate < PROGRESS_INTERVAL_MS) return parentUpdates;
      lastUpdate = Date.now();
      parentUpdates = parentUpdates.then(() =>
        publisher.updateParent(renderParentProgress({ ...context, done, total, current })).catch((err: unknown) => {
          deps.logger.warn({ err, jobId: job.id }, "could not update the progress message");
        }),
      );
      return parentUpdates;
    };
    try {
      await progress(0, 3, "collecting cluster state", true);
      const request = toDiagnoseRequest(data, now());
      const snapshot = await deps.collect(request, (message) => void progress(0, 3, message));
      await progress(1, 3, "running checks", true);
      const report = assertSomethingRan(diagnose(snapshot, request, { options: deps.checkOptions ?? {} }));
      for (const f of report.findings) deps.metrics.findings.inc({ code: f.code, severity: f.severity });
      await progress(2, 3, "posting results", true);
      const permalink = await publishReport(deps, publisher, data, report, now(), snapshot);
      await publisher.updateParent(renderParentVerdict({ ...context, report, ...(permalink ? { threadPermalink: permalink } : {}) }));
      // Answered: equal requests from now on are diagnosed afresh; those that joined before are answered here.
      const joined = await finishRequest(deps.redis, deps.prefix, data);
      for (const thread of joined) {
        const theirs = threadOf(thread.channel, thread.parentTs);
        const subject = { ...context, requestedBy: thread.userId, report };
        // Another requester's channel failing does not fail this job: the report is posted.
        await theirs
          .reply(`joined:${thread.channel}:${thread.parentTs}`, renderJoinedAnswer({ ...subject, ...(permalink ? { permalink } : {}) }))
          .then(() => theirs.updateParent(renderParentVerdict({ ...subject, ...(permalink ? { threadPermalink: permalink } : {}) })))
          .catch((err: unknown) => deps.logger.warn({ err, jobId: job.id, channel: thread.channel }, "could not answer a requester who joined"));
      }
      if (deps.onReport) await deps.onReport(report, data, permalink);
      deps.metrics.jobDuration.observe({ queue: "diagnose" }, (Date.now() - started) / 1000);
      return resultOf(report);
    } catch (caught) {
      await parentUpdates;
      const permanent = caught instanceof UnrecoverableError ? caught.message : permanentFailure(caught);
      const err = permanent !== undefined && !(caught instanceof UnrecoverableError) ? new UnrecoverableError(permanent) : caught;
      const finalAttempt = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      deps.logger.error({ err: caught, jobId: job.id, attempt: job.attemptsMade + 1, final: finalAttempt, cluster: data.cluster }, "diagnosis failed");
      if (finalAttempt) await answerFailure(deps, threadOf, data, context, `the diagnosis failed: ${(err as Error).message}`);
      throw err;
    }
  };
}

/**
 * Tells the requester (and whoever joined the request) that it failed for good, and releases its
 * claim so that asking again runs it again. Best effort: Slack or Redis may be what failed.
 */
async function answerFailure(deps: DiagnoseProcessorDeps, threadOf: ThreadOf, data: DiagnoseJobData, context: ParentContext, message: string): Promise<void> {
  const warn = (err: unknown) => deps.logger.warn({ err, jobId: data.requestKey }, "could not tell a requester that the diagnosis failed");
  await threadOf(data.thread.channel, data.thread.parentTs).updateParent(renderParentError({ ...context, message })).catch(warn);
  const joined = await finishRequest(deps.redis, deps.prefix, data).catch((err: unknown) => (warn(err), []));
  for (const thread of joined) {
    await threadOf(thread.channel, thread.parentTs)
      .updateParent(renderParentError({ ...context, requestedBy: thread.userId, message }))
      .catch(warn);
  }
}

function resultOf(report: Report): DiagnoseJobResult {
  return { verdict: report.verdict, findings: report.findings.length, codes: [...new Set(report.findings.map((f) => f.code))] };
}

/**
 * A report in which no check could run (the cluster could not be read) says nothing about the mesh:
 * it must never read as "no problems found", nor resolve open incidents. The job fails (and is retried).
 */
function assertSomethingRan(report: Report): Report {
  if (report.checks.length > 0 && report.checks.every((c) => c.status !== "ran")) {
    throw new Error(`no check could run: ${report.checks[0]?.detail ?? "the cluster could not be read"}`);
  }
  return report;
}

/** Scheduled and watch-triggered scans: nobody waits in a thread; the report only feeds onReport (the incident channel). */
async function diagnoseUnattended(deps: DiagnoseProcessorDeps, job: Job<DiagnoseJobData>, now: Date): Promise<DiagnoseJobResult> {
  const started = Date.now();
  const request = toDiagnoseRequest(job.data, now);
  const snapshot = await deps.collect(request, () => undefined);
  const report = assertSomethingRan(diagnose(snapshot, request, { options: deps.checkOptions ?? {} }));
  for (const f of report.findings) deps.metrics.findings.inc({ code: f.code, severity: f.severity });
  if (deps.onReport) await deps.onReport(report, job.data, undefined);
  deps.metrics.jobDuration.observe({ queue: "diagnose" }, (Date.now() - started) / 1000);
  return resultOf(report);
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
  const expiresAt = new Date(now.getTime() + deps.fixes.ttlMs);
  // The renderer decides which fixes each finding reply owns (each distinct fix once, capped; the rest
  // in the attached file) and says so in the reply: each is posted right below it.
  const rendered = renderFindings(report);
  for (const [i, message] of rendered.messages.entries()) {
    await publisher.reply(`finding:${i}`, message);
    for (const [j, { fix, finding }] of message.fixes.entries()) {
      const step = `fix:${i}:${j}`;
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
  }
  if (rendered.overflow) {
    await publisher.upload("overflow", { filename: rendered.overflow.filename, title: "Full findings", content: rendered.overflow.content });
  }
  return publisher.permalink().catch(() => undefined);
}
