import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/approvals/audit-log.js";
import { PendingFixStore } from "../../src/approvals/pending-fix-store.js";
import type { DestinationRule } from "../../src/cluster/kube-types.js";
import { BOT_TOKEN, CHANNEL, QUEUE_PREFIX, SIGNING_SECRET, startPipeline, type Pipeline } from "../e2e/pipeline-harness.js";
import {
  APPROVER,
  OTHER_APPROVER,
  REQUESTER,
  STRANGER,
  dryRuns,
  react,
  realWrites,
  repliesMatching,
  runCheck,
  waitForReply,
} from "./approvals-harness.js";

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

const APPROVERS = { APPROVER_USER_IDS: `${APPROVER},${OTHER_APPROVER}` };

function storefrontRule(p: Pipeline): DestinationRule {
  return p.kube.getObject("DestinationRule", "shop", "storefront") as DestinationRule;
}

async function auditEvents(p: Pipeline): Promise<{ event: string; actor: string; reason?: string }[]> {
  const redis = new Redis(p.redis.url);
  try {
    return await new AuditLog(redis, QUEUE_PREFIX).read();
  } finally {
    redis.disconnect();
  }
}

describe("approving a fix by reacting", () => {
  it("approve → dry run, then server-side apply, annotated, re-checked, and one outcome in the thread", async () => {
    pipeline = await startPipeline({ env: APPROVERS });
    const p = pipeline;
    const thread = await runCheck(p);
    const fixTs = thread.fixReply(/ISTIO_MUTUAL/);
    expect(await react(p, APPROVER, "white_check_mark", fixTs)).toBe(200);
    await waitForReply(p, thread.parentTs, /Applied/);
    await waitForReply(p, thread.parentTs, /Re-check:/);
    expect(dryRuns(p, "destinationrules")).toBe(1);
    expect(realWrites(p, "destinationrules")).toBe(1);
    const patches = p.kube.requests.filter((r) => r.verb === "patch" && r.resource === "destinationrules");
    expect(patches[0]?.dryRun).toBe(true);
    expect(patches[1]?.dryRun).toBe(false);
    expect(patches.every((r) => r.query["fieldManager"] === "mtls-doctor")).toBe(true);
    const rule = storefrontRule(p);
    expect(rule.spec?.trafficPolicy?.portLevelSettings?.find((s) => s.port?.number === 9090)?.tls?.mode).toBe("ISTIO_MUTUAL");
    expect(rule.metadata?.annotations?.["mtls-doctor.io/applied-by"]).toBe(APPROVER);
    expect(repliesMatching(p, thread.parentTs, /MTLS203.*gone|gone.*MTLS203/s).length).toBe(1);
    expect(p.kube.requests.some((r) => r.verb === "create" && r.resource === "events")).toBe(true);
    const events = await auditEvents(p);
    for (const e of ["suggested", "approved", "applied", "verified"]) expect(events.some((a) => a.event === e)).toBe(true);
    const text = JSON.stringify(events);
    expect(text).not.toContain(BOT_TOKEN);
    expect(text).not.toContain(SIGNING_SECRET);
  });

  it("an unauthorised user and the requester themselves are refused with an ephemeral explanation, nothing applied", async () => {
    pipeline = await startPipeline({ env: { APPROVER_USER_IDS: `${APPROVER},${REQUESTER}` } });
    const p = pipeline;
    const thread = await runCheck(p);
    const fixTs = thread.fixReply(/ISTIO_MUTUAL/);
    await react(p, STRANGER, "white_check_mark", fixTs);
    await react(p, REQUESTER, "white_check_mark", fixTs);
    const ephemerals = await p.slack.waitFor(() => {
      const list = p.slack.ephemerals(CHANNEL);
      return list.length >= 2 ? list : undefined;
    }, 10_000);
    expect(ephemerals.find((e) => e.user === STRANGER)?.text).toMatch(/not an approver/);
    expect(ephemerals.find((e) => e.user === REQUESTER)?.text).toMatch(/second person/);
    await new Promise((r) => setTimeout(r, 500));
    expect(realWrites(p, "destinationrules")).toBe(0);
    expect(repliesMatching(p, thread.parentTs, /Applied|Approved by/).length).toBe(0);
    const refused = (await auditEvents(p)).filter((a) => a.event === "refused");
    expect(refused.map((a) => a.actor).sort()).toEqual([REQUESTER, STRANGER].sort());
  });

  it("reject dismisses the fix; a later approval does nothing", async () => {
    pipeline = await startPipeline({ env: APPROVERS });
    const p = pipeline;
    const thread = await runCheck(p);
    const fixTs = thread.fixReply(/ISTIO_MUTUAL/);
    await react(p, APPROVER, "x", fixTs);
    await waitForReply(p, thread.parentTs, /Dismissed by/);
    await react(p, OTHER_APPROVER, "white_check_mark", fixTs);
    await new Promise((r) => setTimeout(r, 800));
    expect(realWrites(p, "destinationrules")).toBe(0);
    expect(repliesMatching(p, thread.parentTs, /Approved by|Applied/).length).toBe(0);
  });

  it("an expired fix is refused and says so", async () => {
    pipeline = await startPipeline({ env: APPROVERS });
    const p = pipeline;
    const thread = await runCheck(p);
    const fixTs = thread.fixReply(/ISTIO_MUTUAL/);
    const redis = new Redis(p.redis.url);
    try {
      const store = new PendingFixStore(redis, QUEUE_PREFIX);
      const state = await store.get(CHANNEL, fixTs);
      expect(state?.status).toBe("pending");
      const key = `${QUEUE_PREFIX}:state:fix:${CHANNEL}:${fixTs}`;
      await redis.hset(key, "fix", JSON.stringify({ ...state?.fix, expiresAt: "2020-01-01T00:00:00.000Z" }));
    } finally {
      redis.disconnect();
    }
    await react(p, APPROVER, "white_check_mark", fixTs);
    await waitForReply(p, thread.parentTs, /expired/);
    expect(realWrites(p, "destinationrules")).toBe(0);
  });

  it("an object changed since the suggestion is not touched: the reply explains and offers a fresh check", async () => {
    pipeline = await startPipeline({ env: APPROVERS });
    const p = pipeline;
    const thread = await runCheck(p);
    const fixTs = thread.fixReply(/ISTIO_MUTUAL/);
    const rule = storefrontRule(p);
    p.kube.putObject({ ...rule, metadata: { ...rule.metadata, labels: { edited: "by-hand" } } } as never);
    await react(p, APPROVER, "white_check_mark", fixTs);
    const reply = await waitForReply(p, thread.parentTs, /Not applied/);
    expect(reply).toMatch(/changed/);
    expect(reply).toMatch(/check again/);
    expect(dryRuns(p, "destinationrules") + realWrites(p, "destinationrules")).toBe(0);
  });

  it("the same reaction delivered 5 times at once, plus a second approver, applies once and shows one outcome", async () => {
    pipeline = await startPipeline({ env: APPROVERS });
    const p = pipeline;
    const thread = await runCheck(p);
    const fixTs = thread.fixReply(/ISTIO_MUTUAL/);
    await Promise.all([
      ...Array.from({ length: 5 }, () => react(p, APPROVER, "white_check_mark", fixTs, "EvSAMEEVENT")),
      react(p, OTHER_APPROVER, "white_check_mark", fixTs),
    ]);
    await waitForReply(p, thread.parentTs, /Re-check:/);
    await new Promise((r) => setTimeout(r, 800));
    expect(realWrites(p, "destinationrules")).toBe(1);
    expect(repliesMatching(p, thread.parentTs, /Approved by/).length).toBe(1);
    expect(repliesMatching(p, thread.parentTs, /Applied/).length).toBe(1);
  });

  it("rollback on the applied reply restores the exact prior object, and re-checks", async () => {
    pipeline = await startPipeline({ env: APPROVERS });
    const p = pipeline;
    const before = storefrontRule(p);
    const thread = await runCheck(p);
    await react(p, APPROVER, "white_check_mark", thread.fixReply(/ISTIO_MUTUAL/));
    await waitForReply(p, thread.parentTs, /Re-check:/);
    const applied = p.slack.threadReplies(CHANNEL, thread.parentTs).find((m) => /Applied/.test(m.text ?? ""));
    expect(applied).toBeDefined();
    await react(p, APPROVER, "rewind", applied?.ts ?? "");
    await waitForReply(p, thread.parentTs, /Rolled back/);
    await waitForReply(p, thread.parentTs, /after the rollback/);
    const after = storefrontRule(p);
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata?.labels).toEqual(before.metadata?.labels);
    expect(after.metadata?.annotations?.["mtls-doctor.io/applied-by"]).toBeUndefined();
    expect((await auditEvents(p)).some((a) => a.event === "rolled-back")).toBe(true);
  });

  it("an API server failure while applying is reported clearly, and nothing is left applied", async () => {
    pipeline = await startPipeline({ env: APPROVERS });
    const p = pipeline;
    const thread = await runCheck(p);
    const fixTs = thread.fixReply(/PERMISSIVE|permissive/);
    p.kube.setOptions({ fail: [{ verb: "patch", resource: "peerauthentications", dryRun: false, status: 500 }] });
    await react(p, APPROVER, "white_check_mark", fixTs);
    const reply = await waitForReply(p, thread.parentTs, /Applying failed|Not applied/);
    expect(reply).toMatch(/failed/);
    expect(p.kube.getObject("PeerAuthentication", "shop", "storefront-permissive-8080")).toBeUndefined();
    expect((await auditEvents(p)).some((a) => a.event === "failed")).toBe(true);
  });
});
