import type { SlackMessage } from "../slack/slack-message.js";

/**
 * One message for the incident channel, as it waits in the outbox and travels as a notify job: already
 * rendered, with a deterministic id (the job id, and the key of the record of what was posted).
 */
export interface IncidentNotification {
  id: string;
  kind: "announcement" | "details" | "resolution";
  cluster: string;
  channel: string;
  /** Posted in the thread of this notification's message; at the top level when absent. */
  threadOf?: string;
  /** Order of delivery: an announcement before its details. */
  seq: number;
  message: SlackMessage;
}
