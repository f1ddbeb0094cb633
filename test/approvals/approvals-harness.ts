import { expect } from "vitest";
import { postToApp, reactionAddedEvent, signedEvent, signedSlashCommand } from "../support/slack-requests.js";
import { CHANNEL, SIGNING_SECRET, type Pipeline } from "../e2e/pipeline-harness.js";

export const REQUESTER = "U0REQUESTER";
export const APPROVER = "U0APPROVER";
export const OTHER_APPROVER = "U0APPROVER2";
export const STRANGER = "U0STRANGER";

export interface CheckThread {
  parentTs: string;
  /** ts of each fix reply, by a word of its text (e.g. "DestinationRule"). */
  fixReply(match: RegExp): string;
}

function eventsUrl(p: Pipeline): string {
  return `http://127.0.0.1:${p.port}/slack/events`;
}

/** Runs `/mtls check` as a person would and waits for the verdict; returns the thread. */
export async function runCheck(p: Pipeline, text = "check storefront.shop from checkout", user = REQUESTER): Promise<CheckThread> {
  const before = p.slack.callsTo("chat.postMessage").length;
  const res = await postToApp(eventsUrl(p), signedSlashCommand({ signingSecret: SIGNING_SECRET, text, user_id: user, channel_id: CHANNEL, response_url: p.slack.responseUrl() }));
  expect(res.status).toBe(200);
  const parent = await p.slack.waitFor((calls) => calls.filter((c) => c.method === "chat.postMessage").slice(before).find((c) => c.body["thread_ts"] === undefined), 5_000);
  const parentTs = String(parent.response?.["ts"]);
  await p.slack.waitFor(
    (calls) => calls.find((c) => c.method === "chat.update" && c.body["ts"] === parentTs && /critical|warning|no problems/i.test(String(c.body["text"]))),
    20_000,
  );
  return {
    parentTs,
    fixReply(match) {
      const reply = p.slack
        .threadReplies(CHANNEL, parentTs)
        .find((m) => /React with/i.test(`${m.text ?? ""}${JSON.stringify(m.blocks ?? [])}`) && match.test(`${m.text ?? ""}${JSON.stringify(m.blocks ?? [])}`));
      if (!reply) throw new Error(`no fix reply matching ${match} in the thread`);
      return reply.ts;
    },
  };
}

let eventCounter = 0;

/** Delivers a reaction_added event as Slack does (signed HTTP), optionally with a fixed event_id (redelivery). */
export async function react(p: Pipeline, user: string, reaction: string, ts: string, eventId?: string): Promise<number> {
  const event = reactionAddedEvent({ user, reaction, channel: CHANNEL, ts, item_user: p.slack.botUserId });
  const res = await postToApp(eventsUrl(p), signedEvent({ signingSecret: SIGNING_SECRET, event, event_id: eventId ?? `Ev${Date.now()}${eventCounter++}` }));
  return res.status;
}

/** Replies in the thread whose text matches. */
export function repliesMatching(p: Pipeline, parentTs: string, match: RegExp): string[] {
  return p.slack
    .threadReplies(CHANNEL, parentTs)
    .map((m) => `${m.text ?? ""} ${JSON.stringify(m.blocks ?? [])}`)
    .filter((t) => match.test(t));
}

export async function waitForReply(p: Pipeline, parentTs: string, match: RegExp, timeoutMs = 15_000): Promise<string> {
  return p.slack.waitFor(() => repliesMatching(p, parentTs, match)[0], timeoutMs);
}

/** Real (not dry-run) writes the fake API server received for a resource. */
export function realWrites(p: Pipeline, resource: string): number {
  return p.kube.requests.filter((r) => r.verb === "patch" && r.resource === resource && !r.dryRun).length;
}

export function dryRuns(p: Pipeline, resource: string): number {
  return p.kube.requests.filter((r) => r.verb === "patch" && r.resource === resource && r.dryRun).length;
}
