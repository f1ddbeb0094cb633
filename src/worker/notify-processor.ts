import { DelayedError, UnrecoverableError, Worker, type Job } from "bullmq";
import { WebAPIPlatformError, WebAPIRateLimitedError, type WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import { IncidentState } from "../incidents/incident-state.js";
import type { IncidentNotification } from "../incidents/notification.js";
import type { Logger } from "../logger.js";

export interface NotifyJobResult {
  ts: string;
}

export interface NotifyProcessorDeps {
  /** A client that does not retry by itself: a failure goes back to BullMQ (backoff, rate limit). */
  slack: WebClient;
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Slack answered 429: hold the whole queue this long (BullMQ's queue.rateLimit). */
  holdQueue: (ms: number) => Promise<void>;
  /** How long a reply waits, without spending an attempt, for its thread's first message to be posted. */
  parentWaitMs?: number;
}

/** Slack errors that retrying cannot fix: the notification is given up and the reason logged. */
const PERMANENT_ERRORS = new Set([
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "invalid_blocks",
  "invalid_blocks_format",
  "msg_too_long",
  "msg_blocks_too_long",
  "no_text",
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "missing_scope",
  "restricted_action",
]);

/**
 * Posts one incident notification, at most once: the posted message's ts is recorded under the
 * notification's id, so a retried job (after a crash, or a Slack failure after the post) does not post
 * again. A reply waits for its thread's first message; a 429 holds the whole queue for Retry-After.
 */
export function createNotifyProcessor(deps: NotifyProcessorDeps): (job: Job<IncidentNotification>, token?: string) => Promise<NotifyJobResult> {
  const parentWaitMs = deps.parentWaitMs ?? 1_000;
  return async (job, token) => {
    const notification = job.data;
    const state = new IncidentState(deps.redis, deps.prefix, notification.cluster);
    const earlier = await state.postedTs(notification.id);
    if (earlier !== undefined) return { ts: earlier };
    let threadTs: string | undefined;
    if (notification.threadOf !== undefined) {
      threadTs = await state.postedTs(notification.threadOf);
      if (threadTs === undefined && (await state.isPending(notification.threadOf))) {
        await job.moveToDelayed(Date.now() + parentWaitMs, token);
        throw new DelayedError(`waiting for ${notification.threadOf} to be posted`);
      }
      // Neither posted nor pending: its record expired (or it was given up), so this goes to the top level.
    }
    let ts: string;
    try {
      const result = await deps.slack.chat.postMessage({
        channel: notification.channel,
        text: notification.message.text,
        blocks: notification.message.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      });
      ts = result.ts ?? "";
    } catch (err) {
      if (err instanceof WebAPIRateLimitedError) {
        await deps.holdQueue(Math.max(1, err.retryAfter) * 1000);
        throw Worker.RateLimitError();
      }
      if (err instanceof WebAPIPlatformError && PERMANENT_ERRORS.has(err.data.error)) {
        deps.logger.error({ notification: notification.id, channel: notification.channel, error: err.data.error }, "Slack refused an incident notification: giving it up");
        await state.drop(notification.id);
        throw new UnrecoverableError(`Slack refused the notification: ${err.data.error}`);
      }
      throw err;
    }
    await state.markPosted(notification.id, ts);
    return { ts };
  };
}
