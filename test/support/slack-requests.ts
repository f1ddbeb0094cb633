import { createHmac } from "node:crypto";
import type { EnvelopedEvent, SlashCommand, types } from "@slack/bolt";

/** A request as Slack would send it to the app's HTTP endpoint (`/slack/events`). */
export interface SignedRequest {
  /** The raw body, exactly the bytes that were signed. */
  body: string;
  headers: Record<string, string>;
}

/** The fields of a slash command; what is not given gets a plausible default. */
export interface SlashCommandFields {
  /** Default `/mtls`. */
  command?: string;
  text: string;
  user_id: string;
  channel_id: string;
  user_name?: string;
  channel_name?: string;
  /** Default `T0FAKE`. */
  team_id?: string;
  team_domain?: string;
  /** Where `respond()` posts; pass `fake.responseUrl()` so replies land in the fake. */
  response_url?: string;
  trigger_id?: string;
  /** Default `A1`, the fake's app id. */
  api_app_id?: string;
}

export interface SignedSlashCommandInput extends SlashCommandFields {
  /** Sign with a different secret than the app's to get a request it must refuse. */
  signingSecret: string;
  /** Unix seconds; default now. More than five minutes ago makes a request the app must refuse. */
  timestamp?: number;
}

/** An event inside Slack's `event_callback` envelope; what is not given gets a default. */
export interface EventCallbackFields<E extends SlackEventLike = SlackEventLike> {
  event: E;
  /** Default a fresh `Ev…` id; send the same id twice to imitate a redelivery. */
  event_id?: string;
  team_id?: string;
  api_app_id?: string;
  /** Unix seconds; default now. */
  event_time?: number;
  /** The bot user the event is delivered for (`authorizations[0].user_id`). */
  authorized_user_id?: string;
}

export interface SignedEventInput<E extends SlackEventLike = SlackEventLike> extends EventCallbackFields<E> {
  signingSecret: string;
  /** Sets `X-Slack-Retry-Num` (and `X-Slack-Retry-Reason`), as Slack does when it delivers again. */
  retryNum?: number;
  /** Default `http_timeout` when `retryNum` is given. */
  retryReason?: string;
  timestamp?: number;
}

/** The least an Events API event has (any of Bolt's event types fits). */
export interface SlackEventLike {
  type: string;
}

export interface ReactionAddedFields {
  /** Who reacted. */
  user: string;
  /** The emoji name without colons, e.g. `white_check_mark`. */
  reaction: string;
  /** The channel of the message reacted to. */
  channel: string;
  /** The ts of the message reacted to. */
  ts: string;
  /** Who wrote the message reacted to (the bot, for a fix reply). */
  item_user: string;
  /** Default: now, in Slack's `seconds.micros` form. */
  event_ts?: string;
}

export interface AppResponse {
  status: number;
  body: string;
}

export const DEFAULT_TEAM_ID = "T0FAKE";
export const DEFAULT_APP_ID = "A1";
export const DEFAULT_BOT_USER_ID = "U0BOT";

let sequence = 0;

function nextId(prefix: string): string {
  sequence += 1;
  return `${prefix}${Date.now().toString(36).toUpperCase()}${sequence.toString().padStart(4, "0")}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`, Slack's request signature. */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** The form fields of a slash command as Slack sends them (and as Socket Mode carries them). */
export function slashCommandPayload(fields: SlashCommandFields): SlashCommand {
  const teamId = fields.team_id ?? DEFAULT_TEAM_ID;
  return {
    token: "fake-verification-token",
    team_id: teamId,
    team_domain: fields.team_domain ?? "fake",
    channel_id: fields.channel_id,
    channel_name: fields.channel_name ?? fields.channel_id.toLowerCase(),
    user_id: fields.user_id,
    user_name: fields.user_name ?? fields.user_id.toLowerCase(),
    command: fields.command ?? "/mtls",
    text: fields.text,
    api_app_id: fields.api_app_id ?? DEFAULT_APP_ID,
    is_enterprise_install: "false",
    response_url: fields.response_url ?? `https://hooks.slack.com/commands/${teamId}/1/unset`,
    trigger_id: fields.trigger_id ?? nextId("1337."),
  };
}

/** An event wrapped the way Slack delivers it over HTTP and inside a Socket Mode `events_api` envelope. */
export function eventCallback<E extends SlackEventLike>(fields: EventCallbackFields<E>): EnvelopedEvent<E> {
  const teamId = fields.team_id ?? DEFAULT_TEAM_ID;
  return {
    token: "fake-verification-token",
    team_id: teamId,
    api_app_id: fields.api_app_id ?? DEFAULT_APP_ID,
    event: fields.event,
    type: "event_callback",
    event_id: fields.event_id ?? nextId("Ev"),
    event_time: fields.event_time ?? nowSeconds(),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: fields.authorized_user_id ?? DEFAULT_BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/** A slash command, form-encoded and signed, ready for `postToApp`. */
export function signedSlashCommand(input: SignedSlashCommandInput): SignedRequest {
  const { signingSecret, timestamp, ...fields } = input;
  const pairs = Object.entries(slashCommandPayload(fields)).map(([key, value]): [string, string] => [key, String(value)]);
  const body = new URLSearchParams(pairs).toString();
  return sign(signingSecret, timestamp ?? nowSeconds(), body, "application/x-www-form-urlencoded");
}

/** An Events API delivery, JSON and signed, ready for `postToApp`. */
export function signedEvent<E extends SlackEventLike>(input: SignedEventInput<E>): SignedRequest {
  const { signingSecret, timestamp, retryNum, retryReason, ...fields } = input;
  const request = sign(signingSecret, timestamp ?? nowSeconds(), JSON.stringify(eventCallback(fields)), "application/json");
  if (retryNum !== undefined) {
    request.headers["x-slack-retry-num"] = String(retryNum);
    request.headers["x-slack-retry-reason"] = retryReason ?? "http_timeout";
  }
  return request;
}

/** The `reaction_added` event for someone reacting to a message. */
export function reactionAddedEvent(fields: ReactionAddedFields): types.ReactionAddedEvent {
  return {
    type: "reaction_added",
    user: fields.user,
    reaction: fields.reaction,
    item: { type: "message", channel: fields.channel, ts: fields.ts },
    item_user: fields.item_user,
    event_ts: fields.event_ts ?? (Date.now() / 1000).toFixed(6),
  };
}

/** POSTs a built request to the app (e.g. `http://127.0.0.1:<port>/slack/events`). */
export async function postToApp(url: string, request: SignedRequest): Promise<AppResponse> {
  const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
  return { status: response.status, body: await response.text() };
}

function sign(signingSecret: string, timestamp: number, body: string, contentType: string): SignedRequest {
  return {
    body,
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": slackSignature(signingSecret, timestamp, body),
    },
  };
}
