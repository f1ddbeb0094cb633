import { WebClient } from "@slack/web-api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import type { PeerAuthentication } from "../../src/cluster/kube-types.js";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { BOT_TOKEN, commandJob, COMMAND_CHANNEL, DEMO_SNAPSHOT, eventually, INCIDENT_CHANNEL, startIncidentRig, textOf, type IncidentRig } from "./incident-harness.js";
import { configDumpExpiringIn } from "./expiring-certificate.js";
import { manyProblems } from "./many-problems.js";

let redis: TestRedis;
let slack: FakeSlack;
let rig: IncidentRig | undefined;

beforeAll(async () => {
  redis = await startTestRedis();
  slack = await startFakeSlack({ channels: [{ id: INCIDENT_CHANNEL, name: "mesh-incidents" }, { id: COMMAND_CHANNEL, name: "mesh" }] });
});

afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  slack.reset();
});

afterAll(async () => {
  await slack.close();
  await redis.close();
});

/** Gaps between consecutive posts to the incident channel, in ms. */
function gaps(rig: IncidentRig): number[] {
  const at = rig.incidentPosts().map((c) => c.at);
  return at.slice(1).map((t, i) => t - (at[i] as number));
}

describe("incident channel", () => {
  it("announces a critical finding once across three consecutive scheduled scans, and its resolution in the thread when it disappears", async () => {
    rig = await startIncidentRig({ redis, slack, env: { SCAN_INTERVAL_MINUTES: "0.004" }, triggers: { debounceMs: 60_000 } });
    const r = rig;
    // The BullMQ job scheduler runs the scans; wait for three of them to finish.
    await eventually("three scheduled scans", async () => (await r.finishedScans("schedule")) >= 3, 15_000);
    const incidents = await eventually("the announcement", () => r.incidents().length > 0 && r.incidents());
    expect(incidents).toHaveLength(1);
    const announcement = incidents[0]!;
    const text = textOf(announcement);
    expect(text).toContain("MTLS203");
    expect(text).toContain("MTLS501");
    expect(text).toContain("prod");
    expect(text).toMatch(/scheduled scan/);
    // Details in the thread: each finding with its resource.
    await eventually("the details", () => r.thread(announcement.ts).length > 0);
    const details = r.thread(announcement.ts).map(textOf).join("\n");
    expect(details).toContain("DestinationRule shop/storefront");
    expect(details).toContain("Pod shop/storefront-canary-84b6d-q7wzn");

    // Someone removes the leftover DestinationRule: the next scan no longer sees MTLS203.
    r.kube.deleteObject("DestinationRule", "shop", "storefront");
    const resolution = await eventually("the resolution", () => r.thread(announcement.ts).find((m) => /Resolved/.test(textOf(m))), 15_000);
    expect(textOf(resolution)).toContain("MTLS203");
    expect(textOf(resolution)).not.toContain("MTLS501");
    const scansSoFar = await r.finishedScans("schedule");
    await eventually("two more scans", async () => (await r.finishedScans("schedule")) >= scansSoFar + 2, 15_000);
    // Still one announcement, one resolution: MTLS501 persists and is not announced again.
    expect(r.incidents()).toHaveLength(1);
    expect(r.thread(announcement.ts).filter((m) => /Resolved/.test(textOf(m)))).toHaveLength(1);
    expect(Math.min(...gaps(r))).toBeGreaterThanOrEqual(900);
  });

  it("groups a scan that finds 40 problems into one incident message with the details in its thread", async () => {
    rig = await startIncidentRig({ redis, slack, snapshot: manyProblems() });
    await rig.scan(["batch"]);
    const r = rig;
    const incidents = await eventually("the announcement", () => r.incidents().length > 0 && r.incidents());
    await eventually("every detail", () => {
      const details = r.thread(incidents[0]!.ts).map(textOf).join("\n");
      return (details.match(/Pod batch\/worker-\d+/g) ?? []).length >= 35 && (details.match(/DestinationRule batch\/svc-\d/g) ?? []).length >= 5;
    }, 15_000);
    expect(r.incidents()).toHaveLength(1);
    const announcement = textOf(incidents[0]);
    expect(announcement).toContain("40 new problems");
    // One line per code in the announcement, not one per finding.
    expect(announcement.match(/worker-\d+/g) ?? []).toHaveLength(1);
    const replies = r.thread(incidents[0]!.ts);
    for (const reply of replies) expect(reply.blocks?.length ?? 0).toBeLessThanOrEqual(50);
    expect(Math.min(...gaps(r))).toBeGreaterThanOrEqual(900);
  });

  it("scans a namespace shortly after a new STRICT PeerAuthentication and announces what it broke", async () => {
    const snapshot = await loadSnapshotDir(DEMO_SNAPSHOT);
    snapshot.peerAuthentications = snapshot.peerAuthentications.filter((p) => p.metadata?.namespace !== "shop");
    rig = await startIncidentRig({ redis, slack, snapshot, triggers: { debounceMs: 200 } });
    await rig.triggers?.watch?.ready;
    const strict: PeerAuthentication = {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "shop" },
      spec: { mtls: { mode: "STRICT" } },
    };
    const applied = Date.now();
    rig.kube.putObject(strict);
    const r = rig;
    const incidents = await eventually("the announcement", () => r.incidents().length > 0 && r.incidents(), 15_000);
    expect(Date.now() - applied).toBeLessThan(60_000);
    const text = textOf(incidents[0]);
    expect(text).toMatch(/change to mTLS policies/);
    expect(text).toContain("scan of shop");
    expect(text).toContain("MTLS501");
    expect(await r.finishedScans("watch")).toBe(1);
  });

  it("includes certificates that expire within the configured warning window in scheduled scans", async () => {
    const snapshot = await loadSnapshotDir(DEMO_SNAPSHOT);
    snapshot.proxies.set("shop/storefront-6d9f7c-2xk4p", { configDump: configDumpExpiringIn(1, "spiffe://cluster.local/ns/shop/sa/storefront") });
    // One day left: far outside the default hour, inside a two-day window.
    rig = await startIncidentRig({ redis, slack, snapshot, env: { CERT_WARNING_MINUTES: "2880" } });
    await rig.scan(["shop"]);
    const r = rig;
    const incidents = await eventually("the announcement", () => r.incidents().length > 0 && r.incidents());
    const text = textOf(incidents[0]);
    expect(text).toContain("MTLS402");
    expect(text).toContain("MTLS203");
    await eventually("the details", () => r.thread(incidents[0]!.ts).some((m) => textOf(m).includes("Pod shop/storefront-6d9f7c-2xk4p")));
  });

  it("announces what a /mtls check finds with who asked and a link to its thread; /mtls scan feeds the same incidents", async () => {
    rig = await startIncidentRig({ redis, slack });
    const client = new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl });
    const parent = await client.chat.postMessage({ channel: COMMAND_CHANNEL, text: "Checking storefront.shop on prod…" });
    const thread = { channel: COMMAND_CHANNEL, parentTs: parent.ts ?? "", userId: "U0REQUEST" };
    await rig.run(commandJob({ mode: "check", service: "storefront", namespace: "shop", from: { name: "checkout", namespace: "shop" } }, thread, "check-storefront"));
    const r = rig;
    const incidents = await eventually("the announcement", () => r.incidents().length > 0 && r.incidents());
    const text = textOf(incidents[0]);
    expect(text).toContain("storefront.shop");
    expect(text).toContain("<@U0REQUEST>");
    expect(text).toMatch(new RegExp(`<https://fake\\.slack/archives/${COMMAND_CHANNEL}/p${(parent.ts ?? "").replace(".", "")}[^|]*\\|the diagnosis thread>`));
    for (const code of ["MTLS203", "MTLS301", "MTLS501"]) expect(text).toContain(code);
    await eventually("the details", () => r.thread(incidents[0]!.ts).length > 0);

    const other = await client.chat.postMessage({ channel: COMMAND_CHANNEL, text: "Checking checkout.shop on prod…" });
    await rig.run(commandJob({ mode: "check", service: "checkout", namespace: "shop" }, { ...thread, parentTs: other.ts ?? "" }, "check-checkout"));
    await rig.notifications.flush();
    expect(r.incidents()).toHaveLength(1);
    expect(r.thread(incidents[0]!.ts).some((m) => /Resolved/.test(textOf(m)))).toBe(false);

    // `/mtls scan shop` answers in its own thread and feeds the same incident logic: nothing new to
    // announce; once the DestinationRule is gone, the next `/mtls scan shop` resolves MTLS203.
    const scanOf = async (key: string) => {
      const scanParent = await client.chat.postMessage({ channel: COMMAND_CHANNEL, text: "Scanning shop on prod…" });
      await r.run(commandJob({ mode: "scan", namespaces: ["shop"] }, { ...thread, parentTs: scanParent.ts ?? "", userId: "U0OTHER" }, key));
      return scanParent.ts ?? "";
    };
    const firstScan = await scanOf("scan-shop-1");
    expect(textOf(slack.threadReplies(COMMAND_CHANNEL, firstScan)[0])).toMatch(/scan of shop/);
    r.kube.deleteObject("DestinationRule", "shop", "storefront");
    await scanOf("scan-shop-2");
    const resolution = await eventually("the resolution", () => r.thread(incidents[0]!.ts).find((m) => /Resolved/.test(textOf(m))));
    expect(textOf(resolution)).toContain("MTLS203");
    expect(textOf(resolution)).toContain("no longer seen by scan of shop (asked by <@U0OTHER>)");
    expect(r.incidents()).toHaveLength(1);
  });

});
