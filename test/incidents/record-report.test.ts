import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { diagnose } from "../../src/engine/diagnose.js";
import { IncidentState } from "../../src/incidents/incident-state.js";
import type { IncidentNotification } from "../../src/incidents/notification.js";
import { createIncidentRecorder } from "../../src/incidents/record-report.js";
import { createLogger } from "../../src/logger.js";
import type { Report } from "../../src/report/report.js";
import { scanJobData } from "../../src/worker/scan-scheduler.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { DEMO_SNAPSHOT, INCIDENT_CHANNEL } from "./incident-harness.js";

let server: TestRedis;
const connections: Redis[] = [];
let report: Report;
let prefixes = 0;

beforeAll(async () => {
  server = await startTestRedis();
  report = diagnose(await loadSnapshotDir(DEMO_SNAPSHOT), { mode: "scan", namespaces: [], now: new Date("2026-11-27T12:00:00Z") });
});

afterAll(async () => {
  for (const c of connections) await c.quit();
  await server.close();
});

function connect(): Redis {
  const redis = new Redis(server.url);
  connections.push(redis);
  return redis;
}

/** A recorder as one worker process has it: its own connection, deliveries collected. */
function worker(prefix: string, delivered: IncidentNotification[][]) {
  return createIncidentRecorder({
    redis: connect(),
    prefix,
    channel: INCIDENT_CHANNEL,
    logger: createLogger("silent"),
    deliver: async (notifications) => void delivered.push(notifications),
  });
}

describe("recording reports in Redis", () => {
  it("announces a finding once when several workers record the same report at the same time", async () => {
    prefixes += 1;
    const prefix = `race${prefixes}`;
    const delivered: IncidentNotification[][] = [];
    const job = scanJobData("prod", [], "schedule", "scan-prod", new Date());
    await Promise.all(Array.from({ length: 6 }, () => worker(prefix, delivered)(report, job, undefined)));
    const announcements = new Set(delivered.flat().filter((n) => n.kind === "announcement").map((n) => n.id));
    expect(announcements.size).toBe(1);
    const state = await new IncidentState(connect(), prefix, "prod").read();
    expect([...state.open.keys()].sort()).toEqual(["prod|MTLS203|DestinationRule shop/storefront", "prod|MTLS501|Pod shop/storefront-canary-84b6d-q7wzn"]);
    // One commit opened them; the others only saw them again.
    expect(state.version).toBe(6);
  });

  it("keeps notifications in the outbox until they are posted, and hands them over again after a crash", async () => {
    prefixes += 1;
    const prefix = `outbox${prefixes}`;
    const lost: IncidentNotification[][] = [];
    const crashing = createIncidentRecorder({
      redis: connect(),
      prefix,
      channel: INCIDENT_CHANNEL,
      logger: createLogger("silent"),
      deliver: async (notifications) => {
        lost.push(notifications);
        throw new Error("the process died before the queue had the notifications");
      },
    });
    const job = scanJobData("prod", [], "schedule", "scan-prod", new Date());
    await expect(crashing(report, job, undefined)).rejects.toThrow(/died/);
    // The next report (nothing new in it) hands the committed notifications over.
    const delivered: IncidentNotification[][] = [];
    await worker(prefix, delivered)(report, job, undefined);
    expect(delivered.flat().map((n) => n.id)).toEqual(lost.flat().map((n) => n.id));
    expect(delivered.flat()[0]?.kind).toBe("announcement");
    const state = new IncidentState(connect(), prefix, "prod");
    for (const n of delivered.flat()) await state.markPosted(n.id, "1.0");
    expect(await state.pending()).toEqual([]);
  });
});
