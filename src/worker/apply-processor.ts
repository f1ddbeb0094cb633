import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import type { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import { AuditLog } from "../approvals/audit-log.js";
import { PendingFixStore, type FixState } from "../approvals/pending-fix-store.js";
import { diagnose } from "../engine/diagnose.js";
import type { FixApplier } from "../fixes/apply-fix.js";
import type { Logger } from "../logger.js";
import type { ApplyJobData, ApplyJobResult, DiagnoseJobData } from "../queue/jobs.js";
import { stateKey } from "../queue/names.js";
import type { Report } from "../report/report.js";
import { renderApplyOutcome, renderVerification, type Verification } from "../slack/render-apply.js";
import { ThreadPublisher } from "../slack/thread-publisher.js";
import { toDiagnoseRequest, type Collector } from "./diagnose-processor.js";

export interface ApplyProcessorDeps {
  slack: WebClient;
  redis: Redis;
  prefix: string;
  applier: FixApplier;
  collect: Collector;
  logger: Logger;
  now?: () => Date;
}

function targets(state: FixState): string[] {
  return state.fix.objects.map((o) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`);
}

/** What the re-check says about the finding a fix answered. */
export function verify(report: Report, finding: { code: string; resource: string }): Verification {
  const still = report.findings.some((f) => f.code === finding.code && f.resource === finding.resource);
  if (still) return { kind: "still-there", report };
  const others = report.findings.filter((f) => f.severity === "critical");
  return others.length > 0 ? { kind: "replaced", report, others } : { kind: "gone", report };
}

/**
 * Applies an approved fix (or rolls one back) in the cluster, exactly once: the record's status is
 * claimed atomically, so racing workers or a redelivered job do nothing the second time. Every
 * decision goes to the audit log; the thread hears the outcome and the re-check.
 */
export function createApplyProcessor(deps: ApplyProcessorDeps): (job: Job<ApplyJobData>) => Promise<ApplyJobResult> {
  const store = new PendingFixStore(deps.redis, deps.prefix);
  const audit = new AuditLog(deps.redis, deps.prefix, deps.logger);
  const now = deps.now ?? (() => new Date());
  return async (job) => {
    const data = job.data;
    const state = await store.get(data.fix.channel, data.fix.ts);
    if (!state) throw new UnrecoverableError(`no pending fix for message ${data.fix.channel}/${data.fix.ts}`);
    const { fix } = state;
    const publisher = new ThreadPublisher(deps.slack, deps.redis, stateKey(deps.prefix, "posted", `${data.action}-${fix.id}`), fix.channel, fix.threadTs);
    const base = { cluster: fix.cluster, fixId: fix.id, objects: targets(state) };
    if (data.action === "rollback") return rollback(deps, store, audit, publisher, state, data, now());

    const claim = await store.transition(fix, ["approved"], "applying");
    if (claim !== "ok") return { outcome: "skipped", detail: `fix is ${state.status}` };
    if (Date.parse(fix.expiresAt) < now().getTime()) {
      await store.transition(fix, ["applying"], "refused", { reason: "expired" });
      await audit.append({ ...base, event: "refused", actor: "mtls-doctor", reason: `expired at ${fix.expiresAt}` });
      await publisher.reply("outcome", renderApplyOutcome({ kind: "refused", reason: `the fix expired at ${fix.expiresAt}; run the check again for a fresh one` }, state, data.actor));
      return { outcome: "refused", detail: "expired" };
    }
    const threadLink = (await publisher.permalink(fix.ts).catch(() => undefined)) ?? `slack://${fix.channel}/${fix.ts}`;
    const outcome = await deps.applier.applyFix({ objects: fix.objects, preconditions: fix.preconditions, approver: data.actor, threadLink, now: now() });
    if (outcome.kind === "refused") {
      await store.transition(fix, ["applying"], "refused", { reason: outcome.reason });
      await audit.append({ ...base, event: "refused", actor: "mtls-doctor", reason: outcome.reason });
      await publisher.reply("outcome", renderApplyOutcome(outcome, state, data.actor));
      return { outcome: "refused", detail: outcome.reason };
    }
    if (outcome.kind === "failed") {
      await store.transition(fix, ["applying"], "failed", { reason: outcome.reason });
      await audit.append({ ...base, event: "failed", actor: "mtls-doctor", reason: outcome.reason, detail: { applied: outcome.applied, rolledBack: outcome.rolledBack, notRolledBack: outcome.notRolledBack } });
      await publisher.reply("outcome", renderApplyOutcome(outcome, state, data.actor));
      return { outcome: "failed", detail: outcome.reason };
    }
    await store.transition(fix, ["applying"], "applied", { prior: JSON.stringify(outcome.prior) });
    await audit.append({ ...base, event: "applied", actor: data.actor, before: outcome.prior, after: outcome.after });
    const appliedTs = await publisher.reply("outcome", renderApplyOutcome(outcome, state, data.actor));
    await store.recordAppliedReply(fix, appliedTs);
    await recheck(deps, audit, publisher, state, "verify");
    return { outcome: "applied" };
  };
}

async function rollback(
  deps: ApplyProcessorDeps,
  store: PendingFixStore,
  audit: AuditLog,
  publisher: ThreadPublisher,
  state: FixState,
  data: ApplyJobData,
  now: Date,
): Promise<ApplyJobResult> {
  const { fix } = state;
  const base = { cluster: fix.cluster, fixId: fix.id, objects: targets(state) };
  const claim = await store.transition(fix, ["rolling-back"], "restoring");
  if (claim !== "ok") return { outcome: "skipped", detail: `fix is ${state.status}` };
  const outcome = await deps.applier.restore(fix.objects, state.prior ?? [], now, `mtls-doctor rolled back a fix at the request of ${data.actor}`);
  if (outcome.kind === "failed") {
    await store.transition(fix, ["restoring"], "failed", { reason: outcome.reason });
    await audit.append({ ...base, event: "failed", actor: data.actor, reason: outcome.reason, detail: { rollback: true, restored: outcome.restored, notRestored: outcome.notRestored } });
    await publisher.reply("rollback", renderApplyOutcome({ kind: "rollback-failed", reason: outcome.reason, restored: outcome.restored, notRestored: outcome.notRestored }, state, data.actor));
    return { outcome: "failed", detail: outcome.reason };
  }
  await store.transition(fix, ["restoring"], "rolled-back");
  await audit.append({ ...base, event: "rolled-back", actor: data.actor, before: null, after: state.prior ?? [] });
  await publisher.reply("rollback", renderApplyOutcome({ kind: "rolled-back", restored: outcome.restored }, state, data.actor));
  await recheck(deps, audit, publisher, state, "verify-rollback");
  return { outcome: "rolled-back" };
}

async function recheck(deps: ApplyProcessorDeps, audit: AuditLog, publisher: ThreadPublisher, state: FixState, step: string): Promise<void> {
  const { fix } = state;
  const data: DiagnoseJobData = {
    requestKey: fix.id,
    cluster: fix.cluster,
    target: fix.request,
    thread: { channel: fix.channel, parentTs: fix.threadTs, userId: fix.requester },
    requestedAt: new Date().toISOString(),
    origin: "command",
  };
  try {
    const request = toDiagnoseRequest(data, (deps.now ?? (() => new Date()))());
    const report = diagnose(await deps.collect(request, () => undefined), request);
    const verification = verify(report, fix.finding);
    await audit.append({ cluster: fix.cluster, fixId: fix.id, objects: targets(state), event: "verified", actor: "mtls-doctor", detail: { step, outcome: verification.kind, verdict: report.verdict } });
    await publisher.reply(step, renderVerification(verification, fix.finding, step === "verify-rollback"));
  } catch (err) {
    deps.logger.warn({ err, fixId: fix.id }, "re-check after apply failed");
    await publisher.reply(step, renderVerification({ kind: "unknown", reason: (err as Error).message }, fix.finding, step === "verify-rollback"));
  }
}
