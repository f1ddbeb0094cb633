import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { FakeSocketServer, type FakeSocketMode } from "./fake-slack-socket.js";
import { FakeWorkspace, JSON_FIELDS, isRecord, type FakeChannel, type FakeEphemeral, type FakeMessage, type FakeSlackBody, type FakeUpload, type FakeUser, type FakeWorkspaceOptions } from "./fake-slack-workspace.js";

export type { FakeSocketMode, SendEventOptions, SendOptions, SocketAck } from "./fake-slack-socket.js";
export { MANIFEST_SCOPES } from "./fake-slack-workspace.js";
export type { FakeChannel, FakeEphemeral, FakeFileRef, FakeMessage, FakeSlackBody, FakeUpload, FakeUser } from "./fake-slack-workspace.js";

export interface FakeSlackOptions extends FakeWorkspaceOptions {
  /** How long `socket.sendSlashCommand` / `socket.sendEvent` wait for the app's ack. Default 3000 (Slack's deadline). */
  ackTimeoutMs?: number;
}

/** One request the fake received, in arrival order. */
export interface FakeSlackCall {
  /** The Web API method (`chat.postMessage`), or `upload_url` / `response_url` for the bytes of a file upload and a `respond()`. */
  method: string;
  /** Form or JSON fields without `token`; JSON-valued fields (`blocks`, `files`, …) decoded. Uploads: `{ file_id, bytes }`. */
  body: FakeSlackBody;
  /** From `Authorization: Bearer …` or the body's `token`. */
  token?: string;
  /** `Date.now()` on arrival. */
  at: number;
  /** The HTTP status answered. */
  status: number;
  /** The JSON answered, when the answer was JSON. */
  response?: FakeSlackBody;
}

/**
 * How to fail a request: an HTTP status (429 carries `Retry-After`, default 1 second; the WebClient
 * waits that long and retries), or a 200 answer `{ ok: false, error }` as Slack gives for API errors.
 */
export type FakeSlackFault = { status: number; retryAfter?: number } | { error: string };

/** What an app sent to a `response_url` of the fake. */
export interface FakeResponse {
  url: string;
  body: FakeSlackBody;
  at: number;
}

export interface FakeSlack {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `http://127.0.0.1:<port>/api/`, for `slackApiUrl`. */
  readonly apiUrl: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  /** Every request in arrival order (the same array for the fake's lifetime; `reset()` empties it). */
  readonly calls: readonly FakeSlackCall[];
  /** Socket Mode: envelopes to the app, and its acks. */
  readonly socket: FakeSocketMode;
  callsTo(method: string): FakeSlackCall[];
  /** Messages as channels show them now (copies), in posting order; file shares included (they have `files`). */
  messages(channel?: string): FakeMessage[];
  message(channel: string, ts: string): FakeMessage | undefined;
  /** The replies in a thread (the parent excluded), in posting order. */
  threadReplies(channel: string, threadTs: string): FakeMessage[];
  ephemerals(channel?: string): FakeEphemeral[];
  /** Completed uploads (all three steps), with their bytes. */
  uploads(): FakeUpload[];
  /** A fresh `response_url` on the fake; Slack takes at most five replies on one. */
  responseUrl(): string;
  /** What apps sent to response URLs, optionally of one URL. */
  responses(url?: string): FakeResponse[];
  setChannel(channel: FakeChannel): void;
  setUser(user: FakeUser): void;
  setUsergroup(id: string, members: readonly string[]): void;
  /** The bot token's scopes from now on (the `x-oauth-scopes` header); null: no header. */
  setScopes(scopes: readonly string[] | null): void;
  /**
   * Polls the recorded calls until `predicate` returns something other than undefined, null or false,
   * and resolves with it; rejects after `timeoutMs` (default 5000) listing every call seen.
   */
  waitFor<T>(predicate: (calls: readonly FakeSlackCall[]) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** The next `times` requests to `method` (or `upload_url`, `response_url`) get `fault` instead of an answer. */
  failNext(method: string, fault: FakeSlackFault, times?: number): void;
  /** Every HTTP request (and new socket) answers 503 for the next `ms` milliseconds; 0 ends an outage. */
  setOutage(ms: number): void;
  /** Forgets calls, messages, uploads, responses, faults and any outage; configuration and sockets stay. */
  reset(): void;
  /** Stops listening and drops every connection. Stop apps first, or Socket Mode clients try to reconnect. */
  close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5000;
const POLL_MS = 10;
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const MAX_REPLIES_PER_RESPONSE_URL = 5;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Answer {
  status: number;
  json?: FakeSlackBody;
  text?: string;
  headers?: Record<string, string>;
}

interface QueuedFault {
  fault: FakeSlackFault;
  remaining: number;
}

/** Starts the fake Slack (Web API, upload URLs, response URLs, Socket Mode) on a free port of 127.0.0.1. */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlackServer(options);
  await fake.listen();
  return fake;
}

class FakeSlackServer implements FakeSlack {
  readonly calls: FakeSlackCall[] = [];
  url = "";
  readonly socket: FakeSocketServer;
  private readonly workspace: FakeWorkspace;
  private readonly server: http.Server;
  private readonly connections = new Set<Socket>();
  private faults = new Map<string, QueuedFault[]>();
  private outageUntil = 0;
  private responseSequence = 0;
  private responseLog: FakeResponse[] = [];
  private closed = false;

  constructor(options: FakeSlackOptions) {
    this.workspace = new FakeWorkspace(options, {
      uploadUrl: (fileId) => `${this.url}/upload/${fileId}`,
      socketUrl: (ticket) => `${this.url.replace(/^http/, "ws")}/socket?ticket=${ticket}&app_id=${this.workspace.appId}`,
    });
    this.socket = new FakeSocketServer({
      appId: this.workspace.appId,
      teamId: this.workspace.teamId,
      botUserId: this.workspace.botUserId,
      ackTimeoutMs: options.ackTimeoutMs ?? 3000,
      responseUrl: () => this.responseUrl(),
    });
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.connections.add(socket);
      socket.on("close", () => this.connections.delete(socket));
    });
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  get teamId(): string {
    return this.workspace.teamId;
  }

  get botUserId(): string {
    return this.workspace.botUserId;
  }

  get botId(): string {
    return this.workspace.botId;
  }

  get appId(): string {
    return this.workspace.appId;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  callsTo(method: string): FakeSlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  messages(channel?: string): FakeMessage[] {
    return this.workspace.messages(channel);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.workspace.message(channel, ts);
  }

  threadReplies(channel: string, threadTs: string): FakeMessage[] {
    return this.workspace.threadReplies(channel, threadTs);
  }

  ephemerals(channel?: string): FakeEphemeral[] {
    return this.workspace.ephemerals(channel);
  }

  uploads(): FakeUpload[] {
    return this.workspace.uploads();
  }

  responseUrl(): string {
    this.responseSequence += 1;
    return `${this.url}/respond/${this.responseSequence}`;
  }

  responses(url?: string): FakeResponse[] {
    return this.responseLog.filter((response) => url === undefined || response.url === url).map((response) => structuredClone(response));
  }

  setChannel(channel: FakeChannel): void {
    this.workspace.setChannel(channel);
  }

  setUser(user: FakeUser): void {
    this.workspace.setUser(user);
  }

  setUsergroup(id: string, members: readonly string[]): void {
    this.workspace.setUsergroup(id, members);
  }

  setScopes(scopes: readonly string[] | null): void {
    this.workspace.scopes = scopes === null ? null : [...scopes];
  }

  async waitFor<T>(predicate: (calls: readonly FakeSlackCall[]) => T | undefined | null | false, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = predicate(this.calls);
      if (found !== undefined && found !== null && found !== false) return found;
      if (Date.now() >= deadline) {
        const seen = this.calls.length === 0 ? "  (none)" : this.calls.map((call, index) => `  ${index + 1}. ${describeCall(call)}`).join("\n");
        throw new Error(`fake Slack: nothing matched within ${timeoutMs} ms. Calls seen:\n${seen}`);
      }
      await delay(POLL_MS);
    }
  }

  failNext(method: string, fault: FakeSlackFault, times = 1): void {
    const queue = this.faults.get(method) ?? [];
    queue.push({ fault, remaining: times });
    this.faults.set(method, queue);
  }

  setOutage(ms: number): void {
    this.outageUntil = ms > 0 ? Date.now() + ms : 0;
  }

  reset(): void {
    this.calls.length = 0;
    this.workspace.reset();
    this.responseLog = [];
    this.faults = new Map();
    this.outageUntil = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.socket.close();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.destroy();
    await stopped;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? "/", this.url).pathname;
    if (path !== "/socket" || this.inOutage()) {
      const status = path === "/socket" ? 503 : 404;
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.socket.handleUpgrade(req, socket, head);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", this.url);
      const raw = await readBody(req);
      if (this.closed) {
        res.destroy();
        return;
      }
      const [, area, name] = url.pathname.split("/");
      if (area === "api" && name !== undefined && name !== "") {
        await this.answerApi(name, req, url, raw, res);
      } else if (req.method === "POST" && area === "upload" && name !== undefined) {
        await this.answerUpload(name, req, raw, res);
      } else if (req.method === "POST" && area === "respond" && name !== undefined) {
        this.answerRespond(`${this.url}/respond/${name}`, raw, res);
      } else {
        send(res, { status: 404, text: "Not Found" });
      }
    } catch (error) {
      send(res, { status: 500, text: `fake Slack failed: ${error instanceof Error ? error.stack : String(error)}` });
    }
  }

  private async answerApi(method: string, req: IncomingMessage, url: URL, raw: Buffer, res: ServerResponse): Promise<void> {
    const parsed = await parseFields(raw, req.headers["content-type"]);
    const query = Object.fromEntries([...url.searchParams].map(([key, value]) => [key, decodeField(key, value)]));
    const fields = { ...query, ...(parsed ?? {}) };
    const { token: bodyToken, ...body } = fields;
    const token = bearerToken(req.headers.authorization) ?? (typeof bodyToken === "string" ? bodyToken : undefined);
    const answer =
      this.interruption(method) ??
      (parsed === undefined ? { status: 200, json: { ok: false, error: "invalid_form_data" } } : this.apiAnswer(method, body, token));
    this.record({ method, body, ...(token === undefined ? {} : { token }) }, answer);
    send(res, answer);
  }

  /** Slack sends the token's scopes with every answer to a bot token (`x-oauth-scopes`, comma-separated). */
  private apiAnswer(method: string, body: FakeSlackBody, token: string | undefined): Answer {
    const json = this.workspace.call(method, body, token);
    const scopes = this.workspace.scopes;
    const botToken = token !== undefined && token.startsWith("xoxb-");
    return { status: 200, json, ...(scopes !== null && botToken && json["ok"] === true ? { headers: { "x-oauth-scopes": scopes.join(",") } } : {}) };
  }

  private async answerUpload(fileId: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const content = await uploadedBytes(raw, req.headers["content-type"]);
    const token = bearerToken(req.headers.authorization);
    const answer: Answer =
      this.interruption("upload_url") ??
      (this.workspace.receiveUpload(fileId, content) ? { status: 200, text: "OK" } : { status: 404, text: "Not Found" });
    this.record({ method: "upload_url", body: { file_id: fileId, bytes: content.length }, ...(token === undefined ? {} : { token }) }, answer);
    send(res, answer);
  }

  private answerRespond(url: string, raw: Buffer, res: ServerResponse): void {
    const parsed = parseJson(raw.toString("utf8"));
    const body = isRecord(parsed) ? parsed : {};
    const used = this.responseLog.filter((response) => response.url === url).length;
    const answer: Answer =
      this.interruption("response_url") ??
      (used >= MAX_REPLIES_PER_RESPONSE_URL ? { status: 404, json: { ok: false, error: "used_url" } } : { status: 200, json: { ok: true } });
    if (answer.status === 200) this.responseLog.push({ url, body, at: Date.now() });
    this.record({ method: "response_url", body: { ...body, response_url: url } }, answer);
    send(res, answer);
  }

  /** An outage or a queued fault for this request, if any. */
  private interruption(method: string): Answer | undefined {
    if (this.inOutage()) return { status: 503, json: { ok: false, error: "service_unavailable" } };
    const queue = this.faults.get(method);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    const { fault } = next;
    if ("error" in fault) return { status: 200, json: { ok: false, error: fault.error } };
    const retryAfter = fault.retryAfter ?? (fault.status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
    return {
      status: fault.status,
      json: { ok: false, error: fault.status === 429 ? "ratelimited" : "internal_error" },
      ...(retryAfter === undefined ? {} : { headers: { "Retry-After": String(retryAfter) } }),
    };
  }

  private inOutage(): boolean {
    return Date.now() < this.outageUntil;
  }

  private record(call: Pick<FakeSlackCall, "method" | "body" | "token">, answer: Answer): void {
    this.calls.push({ ...call, at: Date.now(), status: answer.status, ...(answer.json === undefined ? {} : { response: answer.json }) });
  }
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  const json = answer.json === undefined ? undefined : JSON.stringify(answer.json);
  const body = json ?? answer.text ?? "";
  res.writeHead(answer.status, {
    "Content-Type": json === undefined ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...answer.headers,
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Form, multipart or JSON fields; undefined when the body does not parse as what it claims to be. */
async function parseFields(raw: Buffer, contentType: string | undefined): Promise<FakeSlackBody | undefined> {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (raw.length === 0) return {};
  if (type === "application/json") {
    const parsed = parseJson(raw.toString("utf8"));
    return isRecord(parsed) ? parsed : undefined;
  }
  if (type === "multipart/form-data") {
    const fields: FakeSlackBody = {};
    for (const [key, value] of await multipartEntries(raw, contentType ?? "")) {
      fields[key] = typeof value === "string" ? decodeField(key, value) : Buffer.from(await value.arrayBuffer());
    }
    return fields;
  }
  const fields: FakeSlackBody = {};
  for (const [key, value] of new URLSearchParams(raw.toString("utf8"))) fields[key] = decodeField(key, value);
  return fields;
}

/** The WebClient sends a file's bytes as the multipart field `body`; other clients send them raw. */
async function uploadedBytes(raw: Buffer, contentType: string | undefined): Promise<Buffer> {
  if (!(contentType ?? "").toLowerCase().startsWith("multipart/form-data")) return raw;
  for (const [, value] of await multipartEntries(raw, contentType ?? "")) {
    if (typeof value !== "string") return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}

async function multipartEntries(raw: Buffer, contentType: string): Promise<[string, string | Blob][]> {
  const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
  return [...form.entries()];
}

function decodeField(key: string, value: string): unknown {
  if (!JSON_FIELDS.has(key)) return value;
  const parsed = parseJson(value);
  return parsed === undefined ? value : parsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

function describeCall(call: FakeSlackCall): string {
  const outcome = call.response?.["ok"] === false ? `${call.status} ${String(call.response["error"])}` : String(call.status);
  const details = ["channel", "channel_id", "ts", "thread_ts", "text", "usergroup", "user", "name", "file_id"]
    .filter((key) => call.body[key] !== undefined)
    .map((key) => `${key}=${JSON.stringify(call.body[key])?.slice(0, 80)}`);
  return [call.method, `→ ${outcome}`, ...details].join(" ");
}
