import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { stateKey } from "../queue/names.js";

export type AuditEvent = "suggested" | "approved" | "refused" | "dismissed" | "applied" | "failed" | "verified" | "rolled-back";

export interface AuditEntry {
  at: string;
  event: AuditEvent;
  /** The Slack user who acted, or `mtls-doctor` for the bot's own steps. */
  actor: string;
  cluster: string;
  fixId: string;
  objects: string[];
  reason?: string;
  before?: unknown;
  after?: unknown;
  /** Anything else worth keeping: the finding, the verification outcome. */
  detail?: Record<string, unknown>;
}

/** At most this many entries are kept (Redis trims the oldest). */
const MAX_ENTRIES = 100_000;

/** Every decision, appended to a Redis stream and logged as structured JSON. Never a token or secret. */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {}

  get key(): string {
    return stateKey(this.prefix, "audit");
  }

  async append(entry: Omit<AuditEntry, "at"> & { at?: string }): Promise<void> {
    const full: AuditEntry = { at: entry.at ?? new Date().toISOString(), ...entry } as AuditEntry;
    await this.redis.xadd(this.key, "MAXLEN", "~", String(MAX_ENTRIES), "*", "event", full.event, "entry", JSON.stringify(full));
    this.logger?.info({ audit: full }, `audit: ${full.event} ${full.fixId}`);
  }

  /** Entries whose time is at or after `since`, oldest first. */
  async read(since?: Date, limit = 10_000): Promise<AuditEntry[]> {
    // Stream ids are insertion times; an hour of margin covers clocks that disagree a little.
    const start = since ? `${Math.max(0, since.getTime() - 3_600_000)}-0` : "-";
    const rows = await this.redis.xrange(this.key, start, "+", "COUNT", limit);
    const entries = rows.map(([, fields]) => JSON.parse(fields[fields.indexOf("entry") + 1] ?? "{}") as AuditEntry);
    return since ? entries.filter((e) => Date.parse(e.at) >= since.getTime()) : entries;
  }
}
