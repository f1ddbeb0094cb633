import { createHash } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { DiagnoseJobData, DiagnoseJobResult, SlackThread } from "./jobs.js";
import { DIAGNOSE_JOB, stateKey } from "./names.js";

/** Equal requests within this window run once; every requester gets the answer. */
export const DEDUPE_WINDOW_MS = 60_000;

export const DIAGNOSE_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 86_400 },
} as const;

/** What a requester who joined an already running request is told, once the answer is known. */
export interface SharedAnswer {
  permalink?: string;
  summary: string;
  result?: DiagnoseJobResult;
}

export type EnqueueOutcome =
  | { kind: "queued"; jobId: string }
  | { kind: "joined"; jobId: string }
  | { kind: "answered"; jobId: string; answer: SharedAnswer };

export function requestKeyOf(cluster: string, target: DiagnoseJobData["target"], now: Date, windowMs = DEDUPE_WINDOW_MS): string {
  const hash = createHash("sha256").update(JSON.stringify([cluster, target])).digest("hex").slice(0, 20);
  return `diagnose-${cluster}-${hash}-${Math.floor(now.getTime() / windowMs)}`;
}

function subscribersKey(prefix: string, jobId: string): string {
  return stateKey(prefix, "subscribers", jobId);
}

function answerKey(prefix: string, jobId: string): string {
  return stateKey(prefix, "answer", jobId);
}

// Atomically: if the answer is known, return it; otherwise join the list of waiting requesters.
const JOIN_OR_ANSWER = `
local answer = redis.call("GET", KEYS[1])
if answer then return answer end
redis.call("RPUSH", KEYS[2], ARGV[1])
redis.call("PEXPIRE", KEYS[2], ARGV[2])
return false`;

// Atomically: publish the answer and take the list of waiting requesters (each is answered once).
const PUBLISH_AND_TAKE = `
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
local waiting = redis.call("LRANGE", KEYS[2], 0, -1)
redis.call("DEL", KEYS[2])
return waiting`;

/**
 * Enqueues a diagnosis with a deterministic job id. A second equal request within the window does
 * not run again: it joins the first and is answered when the first finishes (or at once, if it has).
 */
export async function enqueueDiagnose(
  queue: Queue<DiagnoseJobData>,
  redis: Redis,
  prefix: string,
  data: DiagnoseJobData,
): Promise<EnqueueOutcome> {
  const jobId = data.requestKey;
  const job = await queue.add(DIAGNOSE_JOB, data, { ...DIAGNOSE_JOB_OPTIONS, jobId });
  const ours = job.data.thread.channel === data.thread.channel && job.data.thread.parentTs === data.thread.parentTs;
  if (ours) return { kind: "queued", jobId };
  const answer = (await redis.eval(
    JOIN_OR_ANSWER,
    2,
    answerKey(prefix, jobId),
    subscribersKey(prefix, jobId),
    JSON.stringify(data.thread),
    String(DEDUPE_WINDOW_MS * 10),
  )) as string | null;
  if (answer) return { kind: "answered", jobId, answer: JSON.parse(answer) as SharedAnswer };
  return { kind: "joined", jobId };
}

/** Called by the worker when a request is answered: returns the requesters who joined it. */
export async function publishAnswer(redis: Redis, prefix: string, jobId: string, answer: SharedAnswer): Promise<SlackThread[]> {
  const waiting = (await redis.eval(
    PUBLISH_AND_TAKE,
    2,
    answerKey(prefix, jobId),
    subscribersKey(prefix, jobId),
    JSON.stringify(answer),
    String(DEDUPE_WINDOW_MS * 10),
  )) as string[];
  return waiting.map((w) => JSON.parse(w) as SlackThread);
}
