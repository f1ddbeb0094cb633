import { createHash } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { DiagnoseJobData, SlackThread } from "./jobs.js";
import { DIAGNOSE_JOB, stateKey } from "./names.js";

/**
 * How long a claim lives if its job never finishes it (a worker lost with the job): a safety net well
 * beyond a job's attempts and backoff. A finished job releases its claim at once.
 */
export const CLAIM_TTL_MS = 15 * 60_000;
/** How long a job keeps the list of requesters who joined it, for its retries to read again. */
const JOINED_TTL_MS = 24 * 60 * 60_000;

export const DIAGNOSE_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 86_400 },
} as const;

export type EnqueueOutcome = { kind: "queued"; jobId: string } | { kind: "joined"; jobId: string };

/** The job could not be queued; `stranded` are the requesters who had joined it meanwhile and must be told. */
export class EnqueueFailedError extends Error {
  constructor(
    readonly stranded: SlackThread[],
    options: { cause: unknown },
  ) {
    super(`the diagnosis could not be queued: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
    this.name = "EnqueueFailedError";
  }
}

function requestHash(cluster: string, target: DiagnoseJobData["target"]): string {
  return createHash("sha256").update(JSON.stringify([cluster, target])).digest("hex").slice(0, 20);
}

/**
 * The job id a request gets if no equal request is being diagnosed: derived from the request (cluster
 * and target) and the time it came, so that a request after the previous one finished (or failed) is
 * a fresh job and never BullMQ's record of the old one.
 */
export function requestKeyOf(cluster: string, target: DiagnoseJobData["target"], now: Date): string {
  return `diagnose-${cluster}-${requestHash(cluster, target)}-${now.getTime().toString(36)}`;
}

function requestId(data: Pick<DiagnoseJobData, "cluster" | "target">): string {
  return `${data.cluster}-${requestHash(data.cluster, data.target)}`;
}

/** Which job equal requests currently share: set by the first, deleted when that job finishes. */
function claimKey(prefix: string, data: Pick<DiagnoseJobData, "cluster" | "target">): string {
  return stateKey(prefix, "dedupe", requestId(data));
}

/** The requesters waiting for the job that holds the claim. */
function waitingKey(prefix: string, data: Pick<DiagnoseJobData, "cluster" | "target">): string {
  return stateKey(prefix, "waiting", requestId(data));
}

/** The requesters a finished job took over from the claim: it answers them, and a retry reads them again. */
function joinedKey(prefix: string, jobId: string): string {
  return stateKey(prefix, "joined", jobId);
}

// Atomically: claim the request for this job, or join the job that holds the claim.
const CLAIM_OR_JOIN = `
local current = redis.call("GET", KEYS[1])
if current then
  redis.call("RPUSH", KEYS[2], ARGV[2])
  redis.call("PEXPIRE", KEYS[2], ARGV[3])
  return current
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[3])
return false`;

// Atomically, when a job finishes (answered, or failed for good): while the claim still names it, take
// over its waiting requesters and delete the claim, so that a request either joined before this (and is
// in the list returned) or comes after it (and claims afresh). A retry finds the claim gone and reads
// the same list again.
const FINISH = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  local waiting = redis.call("LRANGE", KEYS[2], 0, -1)
  for _, thread in ipairs(waiting) do redis.call("RPUSH", KEYS[3], thread) end
  redis.call("DEL", KEYS[1], KEYS[2])
end
redis.call("PEXPIRE", KEYS[3], ARGV[2])
return redis.call("LRANGE", KEYS[3], 0, -1)`;

function threadsOf(raw: string[]): SlackThread[] {
  return raw.map((w) => JSON.parse(w) as SlackThread);
}

/**
 * Enqueues a diagnosis unless an equal one is being diagnosed: the first request claims it
 * (atomically, in Redis) and is queued with `data.requestKey` as its job id; an equal request while
 * that job runs starts nothing: it joins, and the job answers it when it finishes. A request after the
 * job finished claims afresh.
 */
export async function enqueueDiagnose(queue: Queue<DiagnoseJobData>, redis: Redis, prefix: string, data: DiagnoseJobData): Promise<EnqueueOutcome> {
  const claim = claimKey(prefix, data);
  const running = (await redis.eval(CLAIM_OR_JOIN, 2, claim, waitingKey(prefix, data), data.requestKey, JSON.stringify(data.thread), String(CLAIM_TTL_MS))) as string | null;
  if (running) return { kind: "joined", jobId: running };
  try {
    await queue.add(DIAGNOSE_JOB, data, { ...DIAGNOSE_JOB_OPTIONS, jobId: data.requestKey });
  } catch (err) {
    // Not queued: release the claim, and hand back whoever joined meanwhile so that they are told.
    const stranded = await finishRequest(redis, prefix, data).catch(() => []);
    throw new EnqueueFailedError(stranded, { cause: err });
  }
  return { kind: "queued", jobId: data.requestKey };
}

/**
 * Called by the worker when a request is answered or has failed for good: releases the claim (only
 * while it names this job) and returns every requester who joined the job, for it to answer. Safe to
 * call again (a retried job): it returns the same requesters.
 */
export async function finishRequest(redis: Redis, prefix: string, data: DiagnoseJobData): Promise<SlackThread[]> {
  const raw = (await redis.eval(FINISH, 3, claimKey(prefix, data), waitingKey(prefix, data), joinedKey(prefix, data.requestKey), data.requestKey, String(JOINED_TTL_MS))) as string[];
  return threadsOf(raw);
}
