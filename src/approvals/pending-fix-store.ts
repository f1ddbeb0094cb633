import type { Redis } from "ioredis";
import type { KubeObject } from "../cluster/kube-types.js";
import type { DiagnoseTarget } from "../queue/jobs.js";
import { stateKey } from "../queue/names.js";

export type FixStatus =
  | "pending"
  | "approved"
  | "applying"
  | "applied"
  | "dismissed"
  | "failed"
  | "refused"
  | "rolling-back"
  | "restoring"
  | "rolled-back";

/** What was suggested, and the only thing the bot ever applies: never the message text. */
export interface PendingFix {
  /** `<channel>-<ts>` of the fix reply: BullMQ-safe, unique. */
  id: string;
  cluster: string;
  channel: string;
  /** The fix reply people react to. */
  ts: string;
  /** The thread's parent. */
  threadTs: string;
  requester: string;
  finding: { code: string; resource: string; message: string };
  title: string;
  risk: string;
  objects: KubeObject[];
  /** Each object's resourceVersion when the fix was suggested, or "absent". */
  preconditions: { target: string; resourceVersion: string }[];
  /** The diagnosis that produced the fix, to run again after applying. */
  request: DiagnoseTarget;
  createdAt: string;
  expiresAt: string;
}

export interface FixState {
  fix: PendingFix;
  status: FixStatus;
  approver?: string;
  /** The objects as they were before the apply (null: absent), for rollback. */
  prior?: (KubeObject | null)[];
  /** The "applied" reply, on which the rollback emoji works. */
  appliedTs?: string;
  reason?: string;
}

/** Kept a week past expiry, so that late reactions get an answer and rollbacks stay possible. */
const RETENTION_SECONDS = 7 * 24 * 3600;

// Compare-and-set on the status field, with extra fields set on success: one winner, however many
// reactions, retries and replicas race.
const TRANSITION = `
local current = redis.call("HGET", KEYS[1], "status")
if not current then return -1 end
local allowed = false
for word in string.gmatch(ARGV[1], "[^,]+") do
  if word == current then allowed = true end
end
if not allowed then return 0 end
redis.call("HSET", KEYS[1], "status", ARGV[2])
for i = 3, #ARGV, 2 do redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

export type TransitionResult = "ok" | "not-allowed" | "missing";

export class PendingFixStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(channel: string, ts: string): string {
    return stateKey(this.prefix, "fix", channel, ts);
  }

  private appliedKey(channel: string, ts: string): string {
    return stateKey(this.prefix, "applied", channel, ts);
  }

  async save(fix: PendingFix): Promise<void> {
    const key = this.key(fix.channel, fix.ts);
    const ttl = Math.max(60, Math.ceil((Date.parse(fix.expiresAt) - Date.now()) / 1000)) + RETENTION_SECONDS;
    await this.redis.multi().hsetnx(key, "fix", JSON.stringify(fix)).hsetnx(key, "status", "pending").expire(key, ttl).exec();
  }

  async get(channel: string, ts: string): Promise<FixState | undefined> {
    const hash = await this.redis.hgetall(this.key(channel, ts));
    if (!hash["fix"] || !hash["status"]) return undefined;
    const state: FixState = { fix: JSON.parse(hash["fix"]) as PendingFix, status: hash["status"] as FixStatus };
    if (hash["approver"]) state.approver = hash["approver"];
    if (hash["prior"]) state.prior = JSON.parse(hash["prior"]) as (KubeObject | null)[];
    if (hash["appliedTs"]) state.appliedTs = hash["appliedTs"];
    if (hash["reason"]) state.reason = hash["reason"];
    return state;
  }

  async byId(id: string): Promise<FixState | undefined> {
    const [channel, ts] = splitId(id);
    return channel && ts ? this.get(channel, ts) : undefined;
  }

  /** The fix whose "applied" reply this is (for rollback). */
  async byAppliedReply(channel: string, ts: string): Promise<FixState | undefined> {
    const id = await this.redis.get(this.appliedKey(channel, ts));
    return id ? this.byId(id) : undefined;
  }

  async transition(fix: PendingFix, from: readonly FixStatus[], to: FixStatus, fields: Record<string, string> = {}): Promise<TransitionResult> {
    const args = [from.join(","), to, ...Object.entries(fields).flat()];
    const result = (await this.redis.eval(TRANSITION, 1, this.key(fix.channel, fix.ts), ...args)) as number;
    return result === 1 ? "ok" : result === 0 ? "not-allowed" : "missing";
  }

  async recordAppliedReply(fix: PendingFix, appliedTs: string): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(fix.channel, fix.ts), "appliedTs", appliedTs)
      .set(this.appliedKey(fix.channel, appliedTs), fix.id, "EX", RETENTION_SECONDS)
      .exec();
  }
}

export function fixId(channel: string, ts: string): string {
  return `${channel}-${ts.replace(".", "_")}`;
}

function splitId(id: string): [string | undefined, string | undefined] {
  const dash = id.indexOf("-");
  if (dash < 0) return [undefined, undefined];
  return [id.slice(0, dash), id.slice(dash + 1).replace("_", ".")];
}
