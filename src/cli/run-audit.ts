import { AuditLog, type AuditEntry } from "../approvals/audit-log.js";
import { createRedis } from "../queue/redis-connection.js";
import type { AuditCommand } from "./parse-args.js";
import { InputError, type CliIo } from "./run-cli.js";

const CONNECT_TIMEOUT_MS = 3_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

function line(e: AuditEntry): string {
  const reason = e.reason ? ` — ${e.reason}` : "";
  return `${e.at}  ${e.event.padEnd(11)} ${e.actor.padEnd(12)} ${e.cluster}  ${e.objects.join(", ")}${reason}  [${e.fixId}]`;
}

/** `mtls-doctor audit`: every fix decision from the audit stream (REDIS_URL, QUEUE_PREFIX as the processes use them). */
export async function runAudit(cmd: AuditCommand, io: CliIo): Promise<number> {
  const url = io.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
  const prefix = io.env["QUEUE_PREFIX"] ?? "mtls";
  const redis = createRedis({ url });
  redis.on("error", () => undefined);
  try {
    await within(redis.ping(), CONNECT_TIMEOUT_MS).catch((err: unknown) => {
      throw new InputError(`cannot reach Redis at ${url.replace(/\/\/[^@/]*@/, "//[redacted]@")}: ${(err as Error).message} (set REDIS_URL)`);
    });
    const entries = await new AuditLog(redis, prefix).read(cmd.since);
    if (cmd.output === "json") io.stdout.write(JSON.stringify(entries, null, 2) + "\n");
    else io.stdout.write(entries.length === 0 ? "no audit entries\n" : entries.map(line).join("\n") + "\n");
    return 0;
  } finally {
    redis.disconnect();
  }
}
