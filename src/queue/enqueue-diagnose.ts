import { createHash } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Report } from "../report/report.js";
import type { DiagnoseJobData, SlackThread } from "./jobs.js";
import { DIAGNOSE_JOB, stateKey } from "./names.js";

/** Equal requests within this window of the first one run once; every requester gets the answer. */
export const DEDUPE_WINDOW_MS = 60_000;
/** How long the answer and the list of waiting requesters are kept: beyond any job's retries. */
const ANSWER_TTL_MS = DEDUPE_WINDOW_MS * 10;

export const DIAGNOSE_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 86_400 },
} as const;

/** What a requester who joined an already running request is told, once the answer is known. */
export interface SharedAnswer {
  /** The thread that holds the whole answer. */
  permalink?: string;
  /** One line: the verdict, or why the diagnosis failed. */
  summary: string;
  /** The report in brief (see briefReport); absent when the diagnosis failed. */
  report?: Report;
}

export type EnqueueOutcome =
  | { kind: "queued"; jobId: string }
  | { kind: "joined"; jobId: string }
  | { kind: "answered"; jobId: string; answer: SharedAnswer };

function requestHash(cluster: string, target: DiagnoseJobData["target"]): string {
  return createHash("sha256").update(JSON.stringify([cluster, target])).digest("hex").slice(0, 20);
}

/**
 * The job id a request gets if it is the first of its kind in the window: derived from the request
 * (cluster and target) and the time it came, so that every requester within the window shares it
 * and a request after the window (even after a failure) gets a fresh one.
 */
export function requestKeyOf(cluster: string, target: DiagnoseJobData["target"], now: Date): string {
  return `diagnose-${cluster}-${requestHash(cluster, target)}-${now.getTime().toString(36)}`;
}

/** Which job equal requests currently share: set by the first, for the window. */
function claimKey(prefix: string, data: Pick<DiagnoseJobData, "cluster" | "target">): string {
  return stateKey(prefix, "dedupe", `${data.cluster}-${requestHash(data.cluster, data.target)}`);
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

// Atomically: publish the answer and read the waiting requesters. The list is kept (it expires), so a
// retried job reads it again; the worker records whom it answered.
const PUBLISH_AND_READ = `
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return redis.call("LRANGE", KEYS[2], 0, -1)`;

// Deletes the claim only while it still names this job.
const RELEASE_CLAIM = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`;

/**
 * Enqueues a diagnosis, once per window: the first request claims the window (atomically, in Redis)
 * and is queued with `data.requestKey` as its job id; an equal request within the window runs
 * nothing: it joins the first and is answered when the first finishes (or at once, if it has).
 */
export async function enqueueDiagnose(queue: Queue<DiagnoseJobData>, redis: Redis, prefix: string, data: DiagnoseJobData): Promise<EnqueueOutcome> {
  const claim = claimKey(prefix, data);
  for (;;) {
    if ((await redis.set(claim, data.requestKey, "PX", DEDUPE_WINDOW_MS, "NX")) === "OK") {
      try {
        await queue.add(DIAGNOSE_JOB, data, { ...DIAGNOSE_JOB_OPTIONS, jobId: data.requestKey });
      } catch (err) {
        // Not queued: later requests must not wait for a job that does not exist.
        await redis.eval(RELEASE_CLAIM, 1, claim, data.requestKey).catch(() => undefined);
        throw err;
      }
      return { kind: "queued", jobId: data.requestKey };
    }
    const jobId = await redis.get(claim);
    // The window closed between the two commands: claim it again.
    if (jobId === null) continue;
    const answer = (await redis.eval(JOIN_OR_ANSWER, 2, answerKey(prefix, jobId), subscribersKey(prefix, jobId), JSON.stringify(data.thread), String(ANSWER_TTL_MS))) as string | null;
    if (answer) return { kind: "answered", jobId, answer: JSON.parse(answer) as SharedAnswer };
    return { kind: "joined", jobId };
  }
}

/** Called by the worker when a request is answered (or has failed for good): returns every requester who joined it. */
export async function publishAnswer(redis: Redis, prefix: string, jobId: string, answer: SharedAnswer): Promise<SlackThread[]> {
  const waiting = (await redis.eval(PUBLISH_AND_READ, 2, answerKey(prefix, jobId), subscribersKey(prefix, jobId), JSON.stringify(answer), String(ANSWER_TTL_MS))) as string[];
  return waiting.map((w) => JSON.parse(w) as SlackThread);
}

/** Ends the window of a failed request, so that asking again runs it again instead of joining the failure. */
export async function releaseRequest(redis: Redis, prefix: string, data: DiagnoseJobData): Promise<void> {
  await redis.eval(RELEASE_CLAIM, 1, claimKey(prefix, data), data.requestKey);
}

/** What a joined requester's answer needs of a report: the verdict and the findings' headlines, not their evidence or fixes. */
export function briefReport(report: Report): Report {
  return {
    ...report,
    findings: report.findings.map((f) => ({ ...f, evidence: [], fixes: [] })),
    proxies: [],
    checks: [],
  };
}
