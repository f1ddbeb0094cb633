import type { AddressInfo } from "node:net";
import { App, LogLevel, SocketModeReceiver, webApi, type SlashCommand } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { startFakeSlack, type FakeSlack } from "./fake-slack.js";
import { postToApp, reactionAddedEvent, signedEvent, signedSlashCommand } from "./slack-requests.js";

const { WebClient, ErrorCode } = webApi;
const SIGNING_SECRET = "fake-signing-secret";
const FAST_RETRIES = { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 };

let fake: FakeSlack;

beforeEach(async () => {
  fake = await startFakeSlack({
    channels: [{ id: "C0INCIDENT", name: "incidents", joined: false }, { id: "C0OPS", name: "ops" }],
    users: [{ id: "U0ALICE", name: "alice", realName: "Alice Approver" }],
    usergroups: { S0APPROVERS: ["U0ALICE", "U0BOB"] },
  });
});

afterEach(async () => {
  await fake.close();
});

function client(): InstanceType<typeof WebClient> {
  return new WebClient("xoxb-test", { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRIES, logLevel: webApi.LogLevel.ERROR });
}

describe("Web API through the real WebClient", () => {
  test("auth.test answers who the bot is", async () => {
    const answer = await client().auth.test();
    expect(answer).toMatchObject({ ok: true, user_id: "U0BOT", bot_id: "B0BOT", team_id: "T0FAKE" });
    expect(fake.callsTo("auth.test")[0]?.token).toBe("xoxb-test");
  });

  test("a parent message, its progress update, a thread reply and their permalinks", async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: "C0OPS", text: "Checking service-b.default on prod…" });
    const reply = await web.chat.postMessage({
      channel: "C0OPS",
      thread_ts: parent.ts ?? "",
      text: "MTLS201 PlaintextClientToStrictServer",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "*MTLS201* PlaintextClientToStrictServer" } }],
    });
    await web.chat.update({ channel: "C0OPS", ts: parent.ts ?? "", text: "Checked service-b.default on prod: 1 finding" });

    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(reply.ts)).toBeGreaterThan(Number(parent.ts));
    expect(fake.messages("C0OPS").map((message) => [message.text, message.updateCount])).toEqual([
      ["Checked service-b.default on prod: 1 finding", 1],
      ["MTLS201 PlaintextClientToStrictServer", 0],
    ]);
    const [threaded] = fake.threadReplies("C0OPS", parent.ts ?? "");
    expect(threaded?.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text: "*MTLS201* PlaintextClientToStrictServer" } }]);

    const parentLink = await web.chat.getPermalink({ channel: "C0OPS", message_ts: parent.ts ?? "" });
    expect(parentLink.permalink).toBe(`https://fake.slack/archives/C0OPS/p${(parent.ts ?? "").replace(".", "")}`);
    const replyLink = await web.chat.getPermalink({ channel: "C0OPS", message_ts: reply.ts ?? "" });
    expect(replyLink.permalink).toContain(`?thread_ts=${parent.ts}&cid=C0OPS`);
  });

  test("Slack's refusals: channel not joined, unknown channel when configured, a reply's ts as thread_ts, too many blocks", async () => {
    const web = client();
    await expect(web.chat.postMessage({ channel: "C0INCIDENT", text: "critical" })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: "not_in_channel" },
    });
    const parent = await web.chat.postMessage({ channel: "C0OPS", text: "parent" });
    const reply = await web.chat.postMessage({ channel: "C0OPS", thread_ts: parent.ts ?? "", text: "reply" });
    await expect(web.chat.postMessage({ channel: "C0OPS", thread_ts: reply.ts ?? "", text: "nested" })).rejects.toMatchObject({
      data: { error: "invalid_thread_ts" },
    });
    const blocks = Array.from({ length: 51 }, () => ({ type: "divider" }));
    await expect(web.chat.postMessage({ channel: "C0OPS", text: "long", blocks })).rejects.toMatchObject({
      data: { error: "invalid_blocks", response_metadata: { messages: ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"] } },
    });

    const strict = await startFakeSlack({ rejectUnknownChannels: true, channels: [{ id: "C0OPS" }] });
    try {
      const strictClient = new WebClient("xoxb-test", { slackApiUrl: strict.apiUrl, retryConfig: FAST_RETRIES, logLevel: webApi.LogLevel.ERROR });
      await expect(strictClient.chat.postMessage({ channel: "C0NOWHERE", text: "hi" })).rejects.toMatchObject({ data: { error: "channel_not_found" } });
      await expect(strictClient.chat.postMessage({ channel: "C0OPS", text: "hi" })).resolves.toMatchObject({ ok: true });
    } finally {
      await strict.close();
    }
  });

  test("filesUploadV2 goes through the three steps and the fake keeps the bytes in the thread", async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: "C0OPS", text: "Fix 1: approve with :white_check_mark:" });
    const yaml = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n";

    const result = await web.filesUploadV2({ channel_id: "C0OPS", thread_ts: parent.ts ?? "", file: Buffer.from(yaml), filename: "fix-1.yaml", title: "Fix 1" });

    expect(fake.calls.map((call) => call.method)).toEqual(["chat.postMessage", "files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"]);
    expect(fake.callsTo("files.getUploadURLExternal")[0]?.body).toMatchObject({ filename: "fix-1.yaml", length: String(Buffer.byteLength(yaml)) });
    const [upload] = fake.uploads();
    expect(upload).toMatchObject({ filename: "fix-1.yaml", title: "Fix 1", channel: "C0OPS", thread_ts: parent.ts });
    expect(upload?.content.toString("utf8")).toBe(yaml);
    expect(result.files[0]?.files).toEqual([{ id: upload?.id, title: "Fix 1", name: "fix-1.yaml" }]);
    expect(fake.threadReplies("C0OPS", parent.ts ?? "").map((message) => message.files)).toEqual([[{ id: upload?.id, title: "Fix 1", name: "fix-1.yaml" }]]);
  });

  test("a 429 with Retry-After is waited out and retried", async () => {
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const started = Date.now();

    const answer = await client().chat.postMessage({ channel: "C0OPS", text: "summary" });

    expect(answer.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.callsTo("chat.postMessage").map((call) => call.status)).toEqual([429, 200]);
    expect(fake.messages("C0OPS")).toHaveLength(1);
  });

  test("HTTP 500 is retried by the WebClient; an ok:false error is not; an outage outlasting the retries fails", async () => {
    const web = client();
    fake.failNext("chat.postMessage", { status: 500 });
    await expect(web.chat.postMessage({ channel: "C0OPS", text: "one" })).resolves.toMatchObject({ ok: true });
    expect(fake.callsTo("chat.postMessage").map((call) => call.status)).toEqual([500, 200]);

    fake.failNext("chat.postMessage", { error: "ratelimited" });
    await expect(web.chat.postMessage({ channel: "C0OPS", text: "two" })).rejects.toMatchObject({ data: { error: "ratelimited" } });
    expect(fake.callsTo("chat.postMessage")).toHaveLength(3);

    fake.setOutage(2000);
    await expect(web.chat.postMessage({ channel: "C0OPS", text: "three" })).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    expect(fake.callsTo("chat.postMessage").slice(3).map((call) => call.status)).toEqual([503, 503, 503]);
    fake.setOutage(0);
    await expect(web.chat.postMessage({ channel: "C0OPS", text: "four" })).resolves.toMatchObject({ ok: true });
  });

  test("user groups, users, channels and reactions", async () => {
    const web = client();
    await expect(web.usergroups.users.list({ usergroup: "S0APPROVERS" })).resolves.toMatchObject({ ok: true, users: ["U0ALICE", "U0BOB"] });
    await expect(web.usergroups.users.list({ usergroup: "S0NOPE" })).rejects.toMatchObject({ data: { error: "no_such_subteam" } });
    await expect(web.users.info({ user: "U0ALICE" })).resolves.toMatchObject({ user: { id: "U0ALICE", name: "alice", real_name: "Alice Approver" } });
    await expect(web.users.info({ user: "U0NOBODY" })).rejects.toMatchObject({ data: { error: "user_not_found" } });
    await expect(web.conversations.info({ channel: "C0INCIDENT" })).resolves.toMatchObject({ channel: { name: "incidents", is_member: false } });

    const message = await web.chat.postMessage({ channel: "C0OPS", text: "Fix 1" });
    await web.reactions.add({ channel: "C0OPS", timestamp: message.ts ?? "", name: "eyes" });
    await expect(web.reactions.add({ channel: "C0OPS", timestamp: message.ts ?? "", name: "eyes" })).rejects.toMatchObject({ data: { error: "already_reacted" } });
    expect(fake.message("C0OPS", message.ts ?? "")?.reactions).toEqual(["eyes"]);

    await web.chat.postEphemeral({ channel: "C0OPS", user: "U0ALICE", text: "only you are not an approver" });
    expect(fake.ephemerals("C0OPS")).toMatchObject([{ user: "U0ALICE", text: "only you are not an approver" }]);
  });

  test("waitFor resolves with what the predicate found and otherwise lists the calls it saw", async () => {
    const web = client();
    const found = fake.waitFor((calls) => calls.find((call) => call.method === "chat.postMessage"), 2000);
    await web.chat.postMessage({ channel: "C0OPS", text: "hello" });
    await expect(found).resolves.toMatchObject({ body: { channel: "C0OPS", text: "hello" }, status: 200 });

    await expect(fake.waitFor((calls) => calls.some((call) => call.method === "chat.update"), 50)).rejects.toThrow(
      /nothing matched within 50 ms\. Calls seen:\n {2}1\. chat\.postMessage → 200 channel="C0OPS" text="hello"/,
    );
    fake.reset();
    expect(fake.calls).toEqual([]);
    expect(fake.messages()).toEqual([]);
  });
});

describe("Bolt in Socket Mode against the fake", () => {
  test("a slash command and a reaction arrive over the socket and are acknowledged", async () => {
    const app = new App({
      socketMode: true,
      appToken: "xapp-1-test",
      token: "xoxb-test",
      clientOptions: { slackApiUrl: fake.apiUrl },
      installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } },
      logLevel: LogLevel.ERROR,
    });
    const commands: SlashCommand[] = [];
    const reactions: string[] = [];
    app.command("/mtls", async ({ command, ack, respond, client: web }) => {
      await ack();
      commands.push(command);
      await respond({ text: "Checking service-b.default…", response_type: "ephemeral" });
      await web.chat.postMessage({ channel: command.channel_id, text: "Checking service-b.default on prod…" });
    });
    app.event("reaction_added", async ({ event }) => {
      reactions.push(`${event.user}:${event.reaction}`);
    });

    await app.start();
    try {
      expect(fake.socket.connectionCount).toBe(1);
      expect(fake.callsTo("apps.connections.open")[0]?.token).toBe("xapp-1-test");

      const ack = await fake.socket.sendSlashCommand({ text: "check service-b", user_id: "U0ALICE", channel_id: "C0OPS" });
      expect(ack.envelope_id).toMatch(/^envelope-/);
      const posted = await fake.waitFor(() => fake.messages("C0OPS")[0]);
      expect(posted.text).toBe("Checking service-b.default on prod…");
      expect(commands[0]).toMatchObject({ command: "/mtls", text: "check service-b", user_id: "U0ALICE", team_id: "T0FAKE" });
      expect(fake.responses()).toMatchObject([{ body: { text: "Checking service-b.default…", response_type: "ephemeral" } }]);

      const reaction = reactionAddedEvent({ user: "U0ALICE", reaction: "white_check_mark", channel: "C0OPS", ts: posted.ts, item_user: fake.botUserId });
      await fake.socket.sendEvent(reaction);
      await fake.socket.sendEvent({ ...reaction, user: fake.botUserId });
      await fake.waitFor(() => reactions.length > 0);
      expect(reactions).toEqual(["U0ALICE:white_check_mark"]);
    } finally {
      await app.stop();
    }
  });

  test("an envelope the app never acknowledges rejects after the timeout", async () => {
    const app = new App({ socketMode: true, appToken: "xapp-1-test", token: "xoxb-test", clientOptions: { slackApiUrl: fake.apiUrl }, logLevel: LogLevel.ERROR });
    app.command("/mtls", async () => {});
    await app.start();
    try {
      await expect(fake.socket.sendSlashCommand({ text: "help", user_id: "U0ALICE", channel_id: "C0OPS" }, { timeoutMs: 300 })).rejects.toThrow(/did not ack slash_commands/);
    } finally {
      await app.stop();
    }
  });
  test("after Slack's disconnect message the app reconnects and keeps receiving", async () => {
    // clientPingTimeout also sets the reconnect delay (5 s by default); only a custom receiver can set it.
    const receiver = new SocketModeReceiver({
      appToken: "xapp-1-test",
      clientPingTimeout: 300,
      installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } },
      logLevel: LogLevel.ERROR,
    });
    const app = new App({ receiver, token: "xoxb-test", clientOptions: { slackApiUrl: fake.apiUrl }, logLevel: LogLevel.ERROR });
    app.command("/mtls", async ({ ack }) => {
      await ack({ text: "usage: /mtls check service-b[.ns]" });
    });
    await app.start();
    try {
      fake.socket.requestReconnect();
      await fake.waitFor((calls) => calls.filter((call) => call.method === "apps.connections.open").length === 2 && fake.socket.connectionCount === 1);
      const ack = await fake.socket.sendSlashCommand({ text: "nonsense", user_id: "U0ALICE", channel_id: "C0OPS" });
      expect(ack.payload).toEqual({ text: "usage: /mtls check service-b[.ns]" });
    } finally {
      await app.stop();
    }
  });
});

describe("Bolt's HTTP receiver with signed requests", () => {
  test("a signed slash command is accepted, a bad signature or a stale timestamp is refused, events carry the retry number", async () => {
    const app = new App({ token: "xoxb-test", signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.apiUrl }, logLevel: LogLevel.ERROR });
    const seen: string[] = [];
    app.command("/mtls", async ({ command, ack }) => {
      seen.push(`command:${command.text}`);
      await ack();
    });
    app.event("reaction_added", async ({ event, context }) => {
      seen.push(`reaction:${event.reaction}:retry=${String(context.retryNum)}`);
    });
    const server = await app.start({ port: 0, host: "127.0.0.1" });
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    try {
      const command = { text: "check service-b", user_id: "U0ALICE", channel_id: "C0OPS", response_url: fake.responseUrl() };
      await expect(postToApp(endpoint, signedSlashCommand({ signingSecret: SIGNING_SECRET, ...command }))).resolves.toMatchObject({ status: 200 });
      await expect(postToApp(endpoint, signedSlashCommand({ signingSecret: "wrong-secret", ...command }))).resolves.toMatchObject({ status: 401 });
      const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;
      await expect(postToApp(endpoint, signedSlashCommand({ signingSecret: SIGNING_SECRET, timestamp: sixMinutesAgo, ...command }))).resolves.toMatchObject({ status: 401 });

      const event = reactionAddedEvent({ user: "U0ALICE", reaction: "white_check_mark", channel: "C0OPS", ts: "1764244800.000100", item_user: fake.botUserId });
      await expect(postToApp(endpoint, signedEvent({ signingSecret: SIGNING_SECRET, event, event_id: "Ev0001", retryNum: 1 }))).resolves.toMatchObject({ status: 200 });

      expect(seen).toEqual(["command:check service-b", "reaction:white_check_mark:retry=1"]);
      expect(fake.callsTo("auth.test")).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });
});
