// The incident state of one cluster in Redis: the open findings, a version that every change bumps
// (compare-and-set in one Lua script, so that two workers that diagnosed the same thing cannot both
// announce it), the outbox of notifications not yet posted, and what was posted (message ts).
import type { Redis } from "ioredis";
import { stateKey } from "../queue/names.js";
import type { OpenFinding } from "./diff-findings.js";
import type { IncidentNotification } from "./notification.js";

/** Posted message ts are kept this long: resolutions of older announcements go to the top level. */
export const POSTED_TTL_SECONDS = 90 * 24 * 3600;

export interface StateChange {
  set: OpenFinding[];
  remove: string[];
  outbox: IncidentNotification[];
}

export interface IncidentSnapshot {
  version: number;
  open: Map<string, OpenFinding>;
}

// KEYS: version, open, outbox. ARGV: expected version, JSON { set: [[fp, json]], remove: [fp], outbox: [[id, json]] }.
const COMMIT = `
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
if current ~= tonumber(ARGV[1]) then return 0 end
local change = cjson.decode(ARGV[2])
for _, entry in ipairs(change.set) do redis.call("HSET", KEYS[2], entry[1], entry[2]) end
for _, fp in ipairs(change.remove) do redis.call("HDEL", KEYS[2], fp) end
for _, entry in ipairs(change.outbox) do redis.call("HSET", KEYS[3], entry[1], entry[2]) end
redis.call("SET", KEYS[1], current + 1)
return 1`;

export class IncidentState {
  private readonly versionKey: string;
  private readonly openKey: string;
  private readonly outboxKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly cluster: string,
  ) {
    this.versionKey = stateKey(prefix, "incidents", cluster, "version");
    this.openKey = stateKey(prefix, "incidents", cluster, "open");
    this.outboxKey = stateKey(prefix, "incidents", cluster, "outbox");
  }

  private postedKey(id: string): string {
    return stateKey(this.prefix, "incidents", this.cluster, "posted", id);
  }

  /** The open findings and the version they belong to, read together. */
  async read(): Promise<IncidentSnapshot> {
    const results = await this.redis.multi().get(this.versionKey).hgetall(this.openKey).exec();
    const failure = results?.find(([err]) => err !== null)?.[0];
    if (!results || failure) throw failure ?? new Error("the incident state could not be read (transaction aborted)");
    const version = Number((results[0]?.[1] as string | null) ?? 0);
    const open = new Map<string, OpenFinding>();
    for (const [fingerprint, json] of Object.entries((results[1]?.[1] ?? {}) as Record<string, string>)) {
      open.set(fingerprint, JSON.parse(json) as OpenFinding);
    }
    return { version, open };
  }

  /** Applies a change if nobody changed the state since `version` was read; false when somebody did. */
  async commit(version: number, change: StateChange): Promise<boolean> {
    const payload = JSON.stringify({
      set: change.set.map((f) => [f.fingerprint, JSON.stringify(f)]),
      remove: change.remove,
      outbox: change.outbox.map((n) => [n.id, JSON.stringify(n)]),
    });
    // cjson decodes an empty JSON array as an empty table, which ipairs handles.
    const applied = (await this.redis.eval(COMMIT, 3, this.versionKey, this.openKey, this.outboxKey, String(version), payload)) as number;
    return applied === 1;
  }

  /** Notifications committed but not yet posted, in delivery order. */
  async pending(): Promise<IncidentNotification[]> {
    const all = await this.redis.hgetall(this.outboxKey);
    return Object.values(all)
      .map((json) => JSON.parse(json) as IncidentNotification)
      .sort((a, b) => a.seq - b.seq);
  }

  async isPending(id: string): Promise<boolean> {
    return (await this.redis.hexists(this.outboxKey, id)) === 1;
  }

  /** The ts of a posted notification's message. */
  async postedTs(id: string): Promise<string | undefined> {
    return (await this.redis.get(this.postedKey(id))) ?? undefined;
  }

  /** Records the posted message and takes the notification out of the outbox, together. */
  async markPosted(id: string, ts: string): Promise<void> {
    await this.redis.multi().set(this.postedKey(id), ts, "EX", POSTED_TTL_SECONDS).hdel(this.outboxKey, id).exec();
  }

  /** Gives a notification up (Slack refuses it for good). */
  async drop(id: string): Promise<void> {
    await this.redis.hdel(this.outboxKey, id);
  }
}
