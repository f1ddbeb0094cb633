import { DEFAULT_APP_ID, DEFAULT_BOT_USER_ID, DEFAULT_TEAM_ID } from "./slack-requests.js";

/** A parsed request or answer body: form fields as strings, JSON-valued fields (`blocks`, `files`, …) decoded. */
export type FakeSlackBody = Record<string, unknown>;

export interface FakeChannel {
  id: string;
  name?: string;
  /** Whether the bot is a member; posting to a channel it has not joined answers `not_in_channel`. Default true. */
  joined?: boolean;
  isPrivate?: boolean;
}

export interface FakeUser {
  id: string;
  name?: string;
  realName?: string;
  isBot?: boolean;
  deleted?: boolean;
  tz?: string;
}

export interface FakeWorkspaceOptions {
  /** Default `T0FAKE`. */
  teamId?: string;
  /** Default `fake`. */
  teamName?: string;
  /** The bot's user id, as `auth.test` reports it (Bolt drops events from this user). Default `U0BOT`. */
  botUserId?: string;
  /** Default `B0BOT`. */
  botId?: string;
  /** Default `mtls-doctor`. */
  botName?: string;
  /** Default `A1`. */
  appId?: string;
  /** Channels the workspace knows. Unknown channels are accepted as joined unless `rejectUnknownChannels`. */
  channels?: FakeChannel[];
  /** Answer `channel_not_found` for channels not in `channels`. */
  rejectUnknownChannels?: boolean;
  /** Users `users.info` knows (the bot user is always known); others answer `user_not_found`. */
  users?: FakeUser[];
  /** User group id → member user ids, for `usergroups.users.list`; others answer `no_such_subteam`. */
  usergroups?: Record<string, readonly string[]>;
  /**
   * The bot token's scopes, sent as the `x-oauth-scopes` header of every Web API answer as Slack does;
   * default: the scopes of slack/manifest.yaml. Null: no header.
   */
  scopes?: readonly string[] | null;
}

/** What an app installed from slack/manifest.yaml is granted. */
export const MANIFEST_SCOPES: readonly string[] = ["chat:write", "commands", "files:write", "reactions:read", "usergroups:read"];

export interface FakeFileRef {
  id: string;
  title?: string;
  name?: string;
}

/** A message as the channel shows it now (after any `chat.update`). */
export interface FakeMessage {
  channel: string;
  ts: string;
  /** The parent's ts for a thread reply; absent for a top-level message. */
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  /** The bot user for everything the app posted. */
  user: string;
  bot_id: string;
  /** The files a file-share message carries (what `files.completeUploadExternal` posted). */
  files?: FakeFileRef[];
  /** Emoji names added with `reactions.add`, in order. */
  reactions: string[];
  /** How many times `chat.update` changed it. */
  updateCount: number;
}

export interface FakeEphemeral {
  channel: string;
  /** Who sees it. */
  user: string;
  /** `message_ts` of the answer. */
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
}

export interface FakeUpload {
  id: string;
  filename: string;
  title?: string;
  /** What `files.getUploadURLExternal` was told. */
  length: number;
  /** The bytes POSTed to the upload URL. */
  content: Buffer;
  channel?: string;
  thread_ts?: string;
  initial_comment?: string;
  alt_text?: string;
  snippet_type?: string;
}

/** Where the fake serves what is not a Web API method; set once the server listens. */
export interface FakeEndpoints {
  uploadUrl(fileId: string): string;
  socketUrl(ticket: string): string;
}

/** Fields a form-encoded request carries as JSON text; decoded so recorded bodies hold arrays and objects. */
export const JSON_FIELDS: ReadonlySet<string> = new Set(["blocks", "attachments", "files", "metadata"]);

const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;
const FIRST_TS_SECONDS = 1_764_244_800;

interface PendingUpload {
  id: string;
  filename: string;
  length: number;
  alt_text?: string;
  snippet_type?: string;
  content?: Buffer;
}

type Handler = (body: FakeSlackBody, token: string) => FakeSlackBody;

class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly extra: FakeSlackBody = {},
  ) {
    super(code);
  }
}

/** The workspace state behind the fake Web API: what the app posted, uploaded and reacted, and whom it can see. */
export class FakeWorkspace {
  readonly teamId: string;
  readonly teamName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly botName: string;
  readonly appId: string;
  private readonly channels = new Map<string, FakeChannel>();
  private readonly users = new Map<string, FakeUser>();
  private readonly usergroups = new Map<string, readonly string[]>();
  private readonly rejectUnknownChannels: boolean;
  /** The bot token's scopes (`x-oauth-scopes`); null: the header is not sent. */
  scopes: readonly string[] | null;
  private posted: FakeMessage[] = [];
  private ephemeral: FakeEphemeral[] = [];
  private pending = new Map<string, PendingUpload>();
  private completed: FakeUpload[] = [];
  private tsSequence = 0;
  private fileSequence = 0;
  private ticketSequence = 0;
  private readonly handlers: Record<string, Handler>;

  constructor(
    options: FakeWorkspaceOptions,
    private readonly endpoints: FakeEndpoints,
  ) {
    this.teamId = options.teamId ?? DEFAULT_TEAM_ID;
    this.teamName = options.teamName ?? "fake";
    this.botUserId = options.botUserId ?? DEFAULT_BOT_USER_ID;
    this.botId = options.botId ?? "B0BOT";
    this.botName = options.botName ?? "mtls-doctor";
    this.appId = options.appId ?? DEFAULT_APP_ID;
    this.rejectUnknownChannels = options.rejectUnknownChannels ?? false;
    this.scopes = options.scopes === undefined ? MANIFEST_SCOPES : options.scopes;
    for (const channel of options.channels ?? []) this.setChannel(channel);
    for (const user of options.users ?? []) this.setUser(user);
    this.setUser({ id: this.botUserId, name: this.botName, isBot: true });
    for (const [id, members] of Object.entries(options.usergroups ?? {})) this.setUsergroup(id, members);
    this.handlers = {
      "auth.test": () => this.authTest(),
      "chat.postMessage": (body) => this.postMessage(body),
      "chat.update": (body) => this.updateMessage(body),
      "chat.postEphemeral": (body) => this.postEphemeral(body),
      "chat.getPermalink": (body) => this.permalink(body),
      "reactions.add": (body) => this.addReaction(body),
      "files.getUploadURLExternal": (body) => this.uploadUrl(body),
      "files.completeUploadExternal": (body) => this.completeUpload(body),
      "usergroups.users.list": (body) => this.usergroupMembers(body),
      "conversations.info": (body) => this.conversationInfo(body),
      "users.info": (body) => this.userInfo(body),
      "apps.connections.open": () => this.openConnection(),
    };
  }

  setChannel(channel: FakeChannel): void {
    this.channels.set(channel.id, { ...channel });
  }

  setUser(user: FakeUser): void {
    this.users.set(user.id, { ...user });
  }

  setUsergroup(id: string, members: readonly string[]): void {
    this.usergroups.set(id, [...members]);
  }

  /** Answers one Web API call the way Slack does: HTTP 200 with `ok` true, or `ok` false and an `error` code. */
  call(method: string, body: FakeSlackBody, token: string | undefined): FakeSlackBody {
    const handler = this.handlers[method];
    if (handler === undefined) return { ok: false, error: "unknown_method" };
    if (token === undefined || token === "") return { ok: false, error: "not_authed" };
    const appLevel = token.startsWith("xapp-");
    if (appLevel !== (method === "apps.connections.open")) return { ok: false, error: "not_allowed_token_type" };
    try {
      return handler(body, token);
    } catch (error) {
      if (error instanceof SlackError) return { ok: false, error: error.code, ...error.extra };
      throw error;
    }
  }

  /** Stores the bytes POSTed to an upload URL; false when no such upload was asked for. */
  receiveUpload(fileId: string, content: Buffer): boolean {
    const upload = this.pending.get(fileId);
    if (upload === undefined) return false;
    upload.content = content;
    return true;
  }

  messages(channel?: string): FakeMessage[] {
    return this.posted.filter((message) => channel === undefined || message.channel === channel).map(copyMessage);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    const found = this.find(channel, ts);
    return found === undefined ? undefined : copyMessage(found);
  }

  threadReplies(channel: string, threadTs: string): FakeMessage[] {
    return this.posted.filter((message) => message.channel === channel && message.thread_ts === threadTs && message.ts !== threadTs).map(copyMessage);
  }

  ephemerals(channel?: string): FakeEphemeral[] {
    return this.ephemeral.filter((message) => channel === undefined || message.channel === channel).map((message) => ({ ...message }));
  }

  uploads(): FakeUpload[] {
    return this.completed.map((upload) => ({ ...upload, content: Buffer.from(upload.content) }));
  }

  /** Forgets messages, ephemerals and uploads; channels, users, groups and the ts sequence stay. */
  reset(): void {
    this.posted = [];
    this.ephemeral = [];
    this.pending = new Map();
    this.completed = [];
  }

  private authTest(): FakeSlackBody {
    return {
      ok: true,
      url: "https://fake.slack/",
      team: this.teamName,
      user: this.botName,
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    };
  }

  private postMessage(body: FakeSlackBody): FakeSlackBody {
    const channel = this.writableChannel(body);
    const threadTs = this.threadParent(channel, body);
    const content = messageContent(body, true);
    const message: FakeMessage = {
      channel,
      ts: this.nextTs(),
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      ...content,
      user: this.botUserId,
      bot_id: this.botId,
      reactions: [],
      updateCount: 0,
    };
    this.posted.push(message);
    return { ok: true, channel, ts: message.ts, message: slackMessage(message) };
  }

  private updateMessage(body: FakeSlackBody): FakeSlackBody {
    const channel = this.writableChannel(body);
    const message = this.existing(channel, body, "ts");
    const content = messageContent(body, false);
    Object.assign(message, content);
    message.updateCount += 1;
    return { ok: true, channel, ts: message.ts, text: message.text ?? "", message: slackMessage(message) };
  }

  private postEphemeral(body: FakeSlackBody): FakeSlackBody {
    const channel = this.writableChannel(body);
    const user = requiredString(body, "user", "user_not_found");
    const threadTs = optionalString(body, "thread_ts");
    const ephemeral: FakeEphemeral = {
      channel,
      user,
      ts: this.nextTs(),
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      ...messageContent(body, true),
    };
    this.ephemeral.push(ephemeral);
    return { ok: true, message_ts: ephemeral.ts };
  }

  private permalink(body: FakeSlackBody): FakeSlackBody {
    const channel = this.knownChannel(requiredString(body, "channel", "channel_not_found")).id;
    const message = this.existing(channel, body, "message_ts");
    const base = `https://fake.slack/archives/${channel}/p${message.ts.replace(".", "")}`;
    const permalink = message.thread_ts === undefined ? base : `${base}?thread_ts=${message.thread_ts}&cid=${channel}`;
    return { ok: true, channel, permalink };
  }

  private addReaction(body: FakeSlackBody): FakeSlackBody {
    const channel = this.writableChannel(body);
    const message = this.existing(channel, body, "timestamp");
    const name = requiredString(body, "name", "invalid_name");
    if (message.reactions.includes(name)) throw new SlackError("already_reacted");
    message.reactions.push(name);
    return { ok: true };
  }

  private uploadUrl(body: FakeSlackBody): FakeSlackBody {
    const filename = optionalString(body, "filename");
    const length = Number(optionalString(body, "length"));
    if (filename === undefined || filename === "" || !Number.isInteger(length) || length < 0) throw new SlackError("invalid_arguments");
    this.fileSequence += 1;
    const id = `F${String(this.fileSequence).padStart(9, "0")}`;
    const upload: PendingUpload = { id, filename, length };
    const altText = optionalString(body, "alt_text");
    const snippetType = optionalString(body, "snippet_type");
    if (altText !== undefined) upload.alt_text = altText;
    if (snippetType !== undefined) upload.snippet_type = snippetType;
    this.pending.set(id, upload);
    return { ok: true, upload_url: this.endpoints.uploadUrl(id), file_id: id };
  }

  private completeUpload(body: FakeSlackBody): FakeSlackBody {
    const files = body["files"];
    if (!Array.isArray(files) || files.length === 0) throw new SlackError("invalid_arguments");
    const refs = files.map((file): { id: string; title?: string } => {
      const id = isRecord(file) && typeof file["id"] === "string" ? file["id"] : undefined;
      if (id === undefined) throw new SlackError("invalid_arguments");
      const title = isRecord(file) && typeof file["title"] === "string" ? file["title"] : undefined;
      return title === undefined ? { id } : { id, title };
    });
    const uploads = refs.map((ref) => {
      const upload = this.pending.get(ref.id);
      if (upload?.content === undefined) throw new SlackError("file_not_found");
      return { upload, content: upload.content };
    });
    const channel = optionalString(body, "channel_id");
    if (channel !== undefined) this.checkWritable(channel);
    const threadTs = channel === undefined ? undefined : this.threadParent(channel, body);
    const initialComment = optionalString(body, "initial_comment");
    const answered: FakeFileRef[] = [];
    for (const [index, { upload, content }] of uploads.entries()) {
      const title = refs[index]?.title;
      this.pending.delete(upload.id);
      const done: FakeUpload = { id: upload.id, filename: upload.filename, length: upload.length, content };
      if (title !== undefined) done.title = title;
      if (upload.alt_text !== undefined) done.alt_text = upload.alt_text;
      if (upload.snippet_type !== undefined) done.snippet_type = upload.snippet_type;
      if (channel !== undefined) done.channel = channel;
      if (threadTs !== undefined) done.thread_ts = threadTs;
      if (initialComment !== undefined) done.initial_comment = initialComment;
      this.completed.push(done);
      answered.push({ id: upload.id, title: title ?? upload.filename, name: upload.filename });
    }
    if (channel !== undefined) {
      this.posted.push({
        channel,
        ts: this.nextTs(),
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
        text: initialComment ?? "",
        user: this.botUserId,
        bot_id: this.botId,
        files: answered.map((file) => ({ ...file })),
        reactions: [],
        updateCount: 0,
      });
    }
    return { ok: true, files: answered };
  }

  private usergroupMembers(body: FakeSlackBody): FakeSlackBody {
    const members = this.usergroups.get(requiredString(body, "usergroup", "no_such_subteam"));
    if (members === undefined) throw new SlackError("no_such_subteam");
    return { ok: true, users: [...members] };
  }

  private conversationInfo(body: FakeSlackBody): FakeSlackBody {
    const channel = this.knownChannel(requiredString(body, "channel", "channel_not_found"));
    return {
      ok: true,
      channel: {
        id: channel.id,
        name: channel.name ?? channel.id.toLowerCase(),
        is_channel: true,
        is_private: channel.isPrivate ?? false,
        is_archived: false,
        is_member: channel.joined ?? true,
      },
    };
  }

  private userInfo(body: FakeSlackBody): FakeSlackBody {
    const user = this.users.get(requiredString(body, "user", "user_not_found"));
    if (user === undefined) throw new SlackError("user_not_found");
    const name = user.name ?? user.id.toLowerCase();
    const realName = user.realName ?? name;
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: this.teamId,
        name,
        real_name: realName,
        deleted: user.deleted ?? false,
        is_bot: user.isBot ?? false,
        tz: user.tz ?? "Etc/UTC",
        profile: { real_name: realName, display_name: name },
      },
    };
  }

  private openConnection(): FakeSlackBody {
    this.ticketSequence += 1;
    return { ok: true, url: this.endpoints.socketUrl(`ticket-${this.ticketSequence}`) };
  }

  /** Unique and increasing across the workspace: 1764244800.000100, …000200, … */
  private nextTs(): string {
    this.tsSequence += 1;
    const micros = this.tsSequence * 100;
    const seconds = FIRST_TS_SECONDS + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, "0")}`;
  }

  private knownChannel(id: string): FakeChannel {
    const channel = this.channels.get(id);
    if (channel !== undefined) return channel;
    if (this.rejectUnknownChannels) throw new SlackError("channel_not_found");
    return { id };
  }

  private checkWritable(id: string): void {
    if (this.knownChannel(id).joined === false) throw new SlackError("not_in_channel");
  }

  private writableChannel(body: FakeSlackBody): string {
    const id = requiredString(body, "channel", "channel_not_found");
    this.checkWritable(id);
    return id;
  }

  /**
   * Slack accepts a reply's ts as `thread_ts` but the message then lands outside the thread people
   * see; the fake refuses it (`invalid_thread_ts`) so that mistake fails a test.
   */
  private threadParent(channel: string, body: FakeSlackBody): string | undefined {
    const threadTs = optionalString(body, "thread_ts");
    if (threadTs === undefined || threadTs === "") return undefined;
    const parent = this.find(channel, threadTs);
    if (parent?.thread_ts !== undefined && parent.thread_ts !== parent.ts) throw new SlackError("invalid_thread_ts");
    return threadTs;
  }

  private find(channel: string, ts: string): FakeMessage | undefined {
    return this.posted.find((message) => message.channel === channel && message.ts === ts);
  }

  private existing(channel: string, body: FakeSlackBody, field: string): FakeMessage {
    const message = this.find(channel, optionalString(body, field) ?? "");
    if (message === undefined) throw new SlackError("message_not_found");
    return message;
  }
}

type MessageContent = Pick<FakeMessage, "text" | "blocks" | "attachments" | "metadata">;

/** The visible content of a post or update, checked against Block Kit's limits as Slack checks them. */
function messageContent(body: FakeSlackBody, requireContent: boolean): MessageContent {
  const content: MessageContent = {};
  const text = optionalString(body, "text");
  const blocks = body["blocks"];
  const attachments = body["attachments"];
  if (text !== undefined) content.text = text;
  if (blocks !== undefined) {
    if (!Array.isArray(blocks)) throw new SlackError("invalid_blocks_format");
    const problems = blockProblems(blocks);
    if (problems.length > 0) throw new SlackError("invalid_blocks", { response_metadata: { messages: problems } });
    content.blocks = blocks;
  }
  if (attachments !== undefined) {
    if (!Array.isArray(attachments)) throw new SlackError("invalid_attachments");
    content.attachments = attachments;
  }
  if (body["metadata"] !== undefined) content.metadata = body["metadata"];
  const empty = (text === undefined || text === "") && (content.blocks ?? []).length === 0 && (content.attachments ?? []).length === 0;
  if (requireContent && empty) throw new SlackError("no_text");
  return content;
}

function blockProblems(blocks: unknown[]): string[] {
  const problems: string[] = [];
  if (blocks.length > MAX_BLOCKS) problems.push(`[ERROR] no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  blocks.forEach((block, index) => {
    if (!isRecord(block) || typeof block["type"] !== "string") {
      problems.push(`[ERROR] missing required field: type [json-pointer:/blocks/${index}]`);
      return;
    }
    const text = block["text"];
    const textValue = isRecord(text) && typeof text["text"] === "string" ? text["text"] : undefined;
    const limit = block["type"] === "section" ? MAX_SECTION_TEXT : block["type"] === "header" ? MAX_HEADER_TEXT : undefined;
    if (limit !== undefined && textValue !== undefined && [...textValue].length > limit) {
      problems.push(`[ERROR] must be less than ${limit + 1} characters [json-pointer:/blocks/${index}/text/text]`);
    }
  });
  return problems;
}

function slackMessage(message: FakeMessage): FakeSlackBody {
  const { channel: _channel, reactions: _reactions, updateCount: _updateCount, ...visible } = message;
  return { type: "message", ...visible };
}

function copyMessage(message: FakeMessage): FakeMessage {
  return structuredClone(message);
}

function optionalString(body: FakeSlackBody, field: string): string | undefined {
  const value = body[field];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function requiredString(body: FakeSlackBody, field: string, error: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === "") throw new SlackError(error);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
