import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { UsageError } from "../../../cli/usage-error.js";
import { EnqueueFailedError, enqueueDiagnose, requestKeyOf } from "../../../queue/enqueue-diagnose.js";
import type { DiagnoseJobData } from "../../../queue/jobs.js";
import { whenReady } from "../../../queue/redis-connection.js";
import { liveClusters, type LiveCluster } from "../../../queue/worker-registry.js";
import { renderClusters, renderHelp, renderUsage } from "../../../slack/render-help.js";
import { renderParentError, renderParentPending, type ParentContext } from "../../../slack/render-parent.js";
import type { SlackMessage } from "../../../slack/slack-message.js";
import type { BotDeps } from "../../bot-deps.js";
import { parseMtlsCommand, type MtlsCommand } from "../../parse-mtls-command.js";

/** Redis must answer within this, or the user is told it is unavailable (Slack wants an ack within 3 s). */
const REDIS_BUDGET_MS = 1_500;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

function isNotInChannel(err: unknown): boolean {
  const data = (err as { data?: { error?: string } }).data;
  return data?.error === "not_in_channel" || data?.error === "channel_not_found";
}

/** Which cluster a command is for: the one named, else the only live one, else the bot's own. */
function chooseCluster(command: MtlsCommand, live: LiveCluster[], fallback: string): string {
  if ((command.kind === "check" || command.kind === "scan") && command.cluster) return command.cluster;
  return live.length === 1 && live[0] ? live[0].name : fallback;
}

/**
 * `/mtls …`: what needs nothing but the text (a channel that is not allowed, bad input, help) is
 * answered in the acknowledgement itself; everything else is acknowledged at once and done after it,
 * so that nothing holds up the 3-second ack: the Redis lookups, the parent message and the queue. What
 * those find (Redis down, no worker for the cluster, the list of clusters) goes to the requester
 * alone through `respond`; a check or scan gets its parent message in the channel and is enqueued.
 */
export function mtlsCommand(deps: BotDeps) {
  const { config, logger, metrics } = deps;
  // Commands that arrive together share one lookup of the live clusters: a burst of them is one SCAN.
  let lookingUp: Promise<LiveCluster[]> | undefined;
  const lookUpLiveClusters = (): Promise<LiveCluster[]> =>
    (lookingUp ??= within(
      whenReady(deps.redis, REDIS_BUDGET_MS).then(() => liveClusters(deps.redis, config.queuePrefix)),
      REDIS_BUDGET_MS,
      "Redis",
    ).finally(() => (lookingUp = undefined)));
  return async ({ command, ack, client, respond }: Args): Promise<void> => {
    const count = (name: string, outcome: string) => metrics.commands.inc({ command: name, outcome });
    if (config.allowedChannelIds.length > 0 && !config.allowedChannelIds.includes(command.channel_id)) {
      await ack({ response_type: "ephemeral", text: "mtls-doctor is not enabled in this channel. Ask an admin to add it to ALLOWED_CHANNEL_IDS, or use an allowed channel." });
      count("denied", "channel-not-allowed");
      return;
    }
    let parsed: MtlsCommand;
    try {
      parsed = parseMtlsCommand(command.text ?? "");
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      await ack({ response_type: "ephemeral", ...renderUsage(err.message) });
      count("invalid", "usage");
      return;
    }
    if (parsed.kind === "help") {
      await ack({ response_type: "ephemeral", ...renderHelp() });
      count("help", "ok");
      return;
    }
    await ack();
    const tell = (message: Pick<SlackMessage, "text"> & Partial<SlackMessage>) =>
      respond({ response_type: "ephemeral", ...message } as never).catch((err: unknown) => logger.warn({ err }, "could not answer the requester through response_url"));
    let live: LiveCluster[];
    try {
      live = await lookUpLiveClusters();
    } catch (err) {
      logger.warn({ err }, "Redis unavailable while handling /mtls");
      await tell({ text: ":warning: mtls-doctor cannot reach its queue (Redis) right now, so nothing was started. Try again in a minute; if it persists, check the mtls-doctor Redis." });
      count(parsed.kind, "redis-down");
      return;
    }
    if (parsed.kind === "clusters") {
      await tell(renderClusters(live));
      count("clusters", "ok");
      return;
    }
    const cluster = chooseCluster(parsed, live, config.clusterName);
    if (!live.some((c) => c.name === cluster)) {
      const known = live.map((c) => c.name).join(", ") || "none";
      await tell({ text: `:warning: No mtls-doctor worker is running for cluster \`${cluster}\` (live clusters: ${known}), so nothing was started. Name one with \`cluster <name>\`, or start a worker in that cluster.` });
      count(parsed.kind, "no-worker");
      return;
    }
    const context: ParentContext = {
      cluster,
      requestedBy: command.user_id,
      service: parsed.kind === "check" ? parsed.service : "",
      namespace: parsed.kind === "check" ? parsed.namespace : (parsed.namespace ?? "all namespaces"),
    };
    if (parsed.kind === "check" && parsed.from) context.from = `${parsed.from.name}.${parsed.from.namespace}`;
    if (parsed.kind === "scan") context.scan = true;
    let parentTs: string;
    try {
      const posted = await client.chat.postMessage({ channel: command.channel_id, ...renderParentPending(context) } as never);
      parentTs = (posted as { ts?: string }).ts ?? "";
    } catch (err) {
      if (isNotInChannel(err)) {
        await tell({ text: "I am not in this channel, so I cannot post the results here. Invite me with `/invite @mtls-doctor` and run the command again." });
        count(parsed.kind, "not-in-channel");
        return;
      }
      throw err;
    }
    const now = (deps.now ?? (() => new Date()))();
    const target: DiagnoseJobData["target"] =
      parsed.kind === "check"
        ? { mode: "check", service: parsed.service, namespace: parsed.namespace, ...(parsed.from ? { from: parsed.from } : {}) }
        : { mode: "scan", namespaces: parsed.namespace ? [parsed.namespace] : [] };
    const data: DiagnoseJobData = {
      requestKey: requestKeyOf(cluster, target, now),
      cluster,
      target,
      thread: { channel: command.channel_id, parentTs, userId: command.user_id },
      requestedAt: now.toISOString(),
      origin: "command",
    };
    try {
      const outcome = await within(enqueueDiagnose(deps.diagnoseQueue(cluster), deps.redis, config.queuePrefix, data), REDIS_BUDGET_MS * 2, "Redis");
      count(parsed.kind, outcome.kind);
    } catch (err) {
      logger.error({ err }, "could not enqueue a diagnosis");
      const message = "the request could not be queued (Redis is unavailable). Nothing was started; try again in a minute.";
      // Whoever joined this request before it failed to queue waits for it too: tell them as well.
      const threads = [{ channel: command.channel_id, parentTs, userId: command.user_id }, ...(err instanceof EnqueueFailedError ? err.stranded : [])];
      for (const thread of threads) {
        await client.chat
          .update({ channel: thread.channel, ts: thread.parentTs, ...renderParentError({ ...context, requestedBy: thread.userId, message }) } as never)
          .catch((failed: unknown) => logger.warn({ err: failed }, "could not tell a requester that the request was not queued"));
      }
      count(parsed.kind, "enqueue-failed");
    }
  };
}
