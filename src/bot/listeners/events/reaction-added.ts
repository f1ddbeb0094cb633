import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import type { Queue } from "bullmq";
import type { Approvers } from "../../../approvals/approvers.js";
import type { AuditLog } from "../../../approvals/audit-log.js";
import type { FixState, FixStatus, PendingFixStore } from "../../../approvals/pending-fix-store.js";
import type { ApplyJobData } from "../../../queue/jobs.js";
import { APPLY_FIX_JOB, stateKey } from "../../../queue/names.js";
import { renderApproved, renderDismissed, renderExpired, renderNotAllowed, renderRollingBack } from "../../../slack/render-apply.js";
import type { BotDeps } from "../../bot-deps.js";

export interface ApprovalDeps {
  store: PendingFixStore;
  audit: AuditLog;
  approvers: Approvers;
  applyQueue(cluster: string): Queue<ApplyJobData>;
}

type Args = SlackEventMiddlewareArgs<"reaction_added"> & AllMiddlewareArgs;

/** Slack redelivers events: each event_id is acted on once. */
const EVENT_DEDUPE_SECONDS = 3_600;

function targetsOf(state: FixState): string[] {
  return state.fix.preconditions.map((p) => p.target);
}

/**
 * A reaction on a fix reply: approve → authorise, claim atomically, enqueue the apply; reject →
 * dismiss; rollback (on the "applied" reply) → enqueue the rollback. Anything else is ignored.
 * Only the stored record is ever applied, never the message text.
 */
export function reactionAdded(deps: BotDeps, approvals: ApprovalDeps) {
  const { config, logger } = deps;
  return async ({ event, body, client }: Args): Promise<void> => {
    if (event.item.type !== "message") return;
    const { approve, reject, rollback } = config.reactions;
    const action = event.reaction === approve ? "approve" : event.reaction === reject ? "reject" : event.reaction === rollback ? "rollback" : undefined;
    if (!action) return;
    const eventId = (body as { event_id?: string }).event_id ?? `${event.item.channel}-${event.item.ts}-${event.user}-${event.reaction}-${event.event_ts}`;
    const first = await deps.redis.set(stateKey(config.queuePrefix, "event", eventId), "1", "EX", EVENT_DEDUPE_SECONDS, "NX");
    if (first !== "OK") return;
    const { channel, ts } = event.item;
    const state = action === "rollback" ? await approvals.store.byAppliedReply(channel, ts) : await approvals.store.get(channel, ts);
    if (!state) return;
    const { fix } = state;
    const base = { cluster: fix.cluster, fixId: fix.id, objects: targetsOf(state) };
    const ephemeral = (text: ReturnType<typeof renderNotAllowed>) =>
      client.chat.postEphemeral({ channel, user: event.user, thread_ts: fix.threadTs, text: text.text, blocks: text.blocks as never }).catch((err: unknown) => logger.warn({ err }, "could not post an ephemeral reply"));
    const reply = (text: ReturnType<typeof renderApproved>) =>
      client.chat.postMessage({ channel, thread_ts: fix.threadTs, text: text.text, blocks: text.blocks as never });

    /**
     * Claims the fix (one winner however often the reaction arrives) and queues the work for the
     * cluster's worker; if it cannot be queued, the claim is handed back so that the fix stays actionable.
     */
    const queue = async (kind: ApplyJobData["action"], from: FixStatus, to: FixStatus): Promise<boolean> => {
      if ((await approvals.store.transition(fix, [from], to, { approver: event.user })) !== "ok") return false;
      try {
        await approvals.applyQueue(fix.cluster).add(
          APPLY_FIX_JOB,
          { fix: { channel: fix.channel, ts: fix.ts }, action: kind, actor: event.user, requestedAt: new Date().toISOString() },
          { jobId: `${kind}-${fix.id}`, attempts: 1, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } },
        );
        return true;
      } catch (err) {
        await approvals.store.transition(fix, [to], from);
        logger.error({ err, fixId: fix.id }, `could not queue the ${kind}`);
        await ephemeral(renderNotAllowed(`the ${kind} could not be queued (Redis is unavailable); react again in a minute`));
        return false;
      }
    };

    if (!config.fixesEnabled) {
      await ephemeral(renderNotAllowed("fixes are applied by hand in this workspace (FIXES_ENABLED=false): use the attached YAML"));
      await approvals.audit.append({ ...base, event: "refused", actor: event.user, reason: "fixes disabled" });
      return;
    }
    const decision = action === "reject" && event.user === fix.requester ? ({ allowed: true } as const) : await approvals.approvers.decide(event.user, fix.requester);
    if (!decision.allowed) {
      await ephemeral(renderNotAllowed(decision.reason));
      await approvals.audit.append({ ...base, event: "refused", actor: event.user, reason: `${action}: ${decision.reason}` });
      return;
    }
    if (action === "reject") {
      if ((await approvals.store.transition(fix, ["pending"], "dismissed", { approver: event.user })) !== "ok") return;
      await approvals.audit.append({ ...base, event: "dismissed", actor: event.user });
      await reply(renderDismissed(event.user));
      return;
    }
    if (action === "approve") {
      if (Date.parse(fix.expiresAt) < Date.now()) {
        if ((await approvals.store.transition(fix, ["pending"], "refused", { reason: "expired" })) !== "ok") return;
        await approvals.audit.append({ ...base, event: "refused", actor: event.user, reason: `expired at ${fix.expiresAt}` });
        await reply(renderExpired(fix.expiresAt));
        return;
      }
      if (!(await queue("apply", "pending", "approved"))) return;
      await approvals.audit.append({ ...base, event: "approved", actor: event.user, detail: { finding: fix.finding, title: fix.title } });
      await reply(renderApproved(event.user));
      return;
    }
    if (!(await queue("rollback", "applied", "rolling-back"))) return;
    await reply(renderRollingBack(event.user));
  };
}
