import type { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";

export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

export interface UploadFile {
  filename: string;
  title: string;
  content: string;
}

/**
 * Posts a job's replies into one thread, each step at most once: the ts of every posted step is kept
 * in Redis, so that a retried job (after a crash or a Slack error) continues where it stopped instead
 * of posting the same reply twice.
 */
export class ThreadPublisher {
  constructor(
    private readonly client: WebClient,
    private readonly redis: Redis,
    /** Redis hash of step → ts, one per job. */
    private readonly stepsKey: string,
    readonly channel: string,
    readonly parentTs: string,
  ) {}

  static readonly STEPS_TTL_SECONDS = 7 * 24 * 3600;

  async updateParent(message: SlackMessage): Promise<void> {
    await this.client.chat.update({ channel: this.channel, ts: this.parentTs, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) });
  }

  /** Whether a step was posted already (by this attempt or an earlier one). */
  async posted(step: string): Promise<string | undefined> {
    return (await this.redis.hget(this.stepsKey, step)) ?? undefined;
  }

  private async record(step: string, value: string): Promise<void> {
    await this.redis.multi().hset(this.stepsKey, step, value).expire(this.stepsKey, ThreadPublisher.STEPS_TTL_SECONDS).exec();
  }

  /** Posts a reply in the thread once; returns its ts (the earlier one on a retry). */
  async reply(step: string, message: SlackMessage): Promise<string> {
    const earlier = await this.posted(step);
    if (earlier !== undefined) return earlier;
    const result = await this.client.chat.postMessage({
      channel: this.channel,
      thread_ts: this.parentTs,
      text: message.text,
      unfurl_links: false,
      unfurl_media: false,
      ...(message.blocks ? { blocks: message.blocks as never } : {}),
    });
    const ts = result.ts ?? "";
    await this.record(step, ts);
    return ts;
  }

  /** Uploads a file into the thread once (files.uploadV2: the three-step external upload). */
  async upload(step: string, file: UploadFile): Promise<void> {
    if ((await this.posted(step)) !== undefined) return;
    await this.client.filesUploadV2({
      channel_id: this.channel,
      thread_ts: this.parentTs,
      file: Buffer.from(file.content, "utf8"),
      filename: file.filename,
      title: file.title,
    });
    await this.record(step, "uploaded");
  }

  async permalink(ts = this.parentTs): Promise<string | undefined> {
    const result = await this.client.chat.getPermalink({ channel: this.channel, message_ts: ts });
    return result.permalink;
  }
}
