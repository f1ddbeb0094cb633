import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { isRecord } from "./fake-slack-workspace.js";
import { eventCallback, slashCommandPayload, type SlackEventLike, type SlashCommandFields } from "./slack-requests.js";

/** What the app answered over the socket for one envelope. */
export interface SocketAck {
  envelope_id: string;
  /** What the app passed to `ack()` (`{}` for a bare ack). */
  payload?: Record<string, unknown>;
}

export interface SendOptions {
  /** How long to wait for the ack; default the fake's `ackTimeoutMs` (3 s, Slack's deadline). */
  timeoutMs?: number;
}

export interface SendEventOptions extends SendOptions {
  /** Default a fresh id; reuse one to imitate Slack delivering the same event again. */
  event_id?: string;
  /** Slack's `retry_attempt` (0 for the first delivery). */
  retryAttempt?: number;
  retryReason?: string;
}

/** The Socket Mode side of the fake Slack: the app connects with the URL `apps.connections.open` gave it. */
export interface FakeSocketMode {
  /** Open connections from apps. */
  readonly connectionCount: number;
  /** Sends a `slash_commands` envelope (missing fields get defaults; `response_url` points at the fake). */
  sendSlashCommand(fields: SlashCommandFields, options?: SendOptions): Promise<SocketAck>;
  /** Sends an `events_api` envelope carrying `event` inside an `event_callback`. */
  sendEvent<E extends SlackEventLike>(event: E, options?: SendEventOptions): Promise<SocketAck>;
  /** Sends Slack's `disconnect` message (`refresh_requested`), after which the app reconnects. */
  requestReconnect(): void;
}

interface PendingAck {
  resolve(ack: SocketAck): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface SocketDefaults {
  appId: string;
  teamId: string;
  botUserId: string;
  ackTimeoutMs: number;
  responseUrl(): string;
}

const CLOSE_GRACE_MS = 250;

export class FakeSocketServer implements FakeSocketMode {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly pending = new Map<string, PendingAck>();
  private envelopeSequence = 0;

  constructor(private readonly defaults: SocketDefaults) {
    this.server.on("connection", (socket) => this.greet(socket));
  }

  get connectionCount(): number {
    return [...this.server.clients].filter((socket) => socket.readyState === WebSocket.OPEN).length;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(req, socket, head, (ws) => this.server.emit("connection", ws, req));
  }

  sendSlashCommand(fields: SlashCommandFields, options: SendOptions = {}): Promise<SocketAck> {
    const payload = slashCommandPayload({
      ...fields,
      api_app_id: fields.api_app_id ?? this.defaults.appId,
      team_id: fields.team_id ?? this.defaults.teamId,
      response_url: fields.response_url ?? this.defaults.responseUrl(),
    });
    return this.send({ type: "slash_commands", payload, accepts_response_payload: true }, options);
  }

  sendEvent<E extends SlackEventLike>(event: E, options: SendEventOptions = {}): Promise<SocketAck> {
    const payload = eventCallback({
      event,
      api_app_id: this.defaults.appId,
      team_id: this.defaults.teamId,
      authorized_user_id: this.defaults.botUserId,
      ...(options.event_id === undefined ? {} : { event_id: options.event_id }),
    });
    return this.send(
      {
        type: "events_api",
        payload,
        accepts_response_payload: false,
        retry_attempt: options.retryAttempt ?? 0,
        retry_reason: options.retryReason ?? "",
      },
      options,
    );
  }

  requestReconnect(): void {
    const message = JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "fake-slack" } });
    for (const socket of this.server.clients) socket.send(message);
  }

  /**
   * Gives apps a moment to finish closing their connections (Bolt's `app.stop()` starts the close
   * handshake without waiting for it; cutting it short makes the client log a WebSocket error), then
   * cuts whatever is still open.
   */
  async close(): Promise<void> {
    for (const [envelopeId, { reject, timer }] of this.pending) {
      clearTimeout(timer);
      reject(new Error(`fake Slack: closed while waiting for the ack of envelope ${envelopeId}`));
    }
    this.pending.clear();
    await Promise.all([...this.server.clients].map((socket) => closed(socket, CLOSE_GRACE_MS)));
    for (const socket of this.server.clients) socket.terminate();
    this.server.close();
  }

  private greet(socket: WebSocket): void {
    socket.on("message", (data, isBinary) => {
      if (!isBinary) this.receive(data);
    });
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.connectionCount,
        debug_info: { host: "fake-slack", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.defaults.appId },
      }),
    );
  }

  private receive(data: RawData): void {
    let message: unknown;
    try {
      message = JSON.parse(rawText(data));
    } catch {
      return;
    }
    if (!isRecord(message) || typeof message["envelope_id"] !== "string") return;
    const waiting = this.pending.get(message["envelope_id"]);
    if (waiting === undefined) return;
    this.pending.delete(message["envelope_id"]);
    clearTimeout(waiting.timer);
    const payload = message["payload"];
    waiting.resolve(isRecord(payload) ? { envelope_id: message["envelope_id"], payload } : { envelope_id: message["envelope_id"] });
  }

  /** Sends on the newest open connection, as Slack sends each envelope on one of the app's connections. */
  private send(envelope: { type: string } & Record<string, unknown>, options: SendOptions): Promise<SocketAck> {
    const socket = [...this.server.clients].filter((client) => client.readyState === WebSocket.OPEN).at(-1);
    if (socket === undefined) {
      return Promise.reject(new Error(`fake Slack: no Socket Mode connection to send a ${envelope.type} envelope on (has app.start() finished?)`));
    }
    this.envelopeSequence += 1;
    const envelopeId = `envelope-${this.envelopeSequence}`;
    const timeoutMs = options.timeoutMs ?? this.defaults.ackTimeoutMs;
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`fake Slack: the app did not ack ${envelope.type} envelope ${envelopeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(envelopeId, { resolve, reject, timer });
      socket.send(JSON.stringify({ envelope_id: envelopeId, ...envelope }));
    });
  }
}

function closed(socket: WebSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.from(new Uint8Array(data)).toString("utf8");
}
