import { describe, expect, it } from "vitest";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { renderClusters, renderHelp, renderUsage } from "../../src/slack/render-help.js";
import { messageText } from "./message-texts.js";

describe("help and usage", () => {
  it("lists every command with examples, escaped so that <svc> is not a link", () => {
    const msg = renderHelp();
    const text = messageText(msg);
    expect(text).toContain("`/mtls check &lt;svc&gt;[.&lt;ns&gt;] [from &lt;workload&gt;[.&lt;ns&gt;]] [cluster &lt;name&gt;]`");
    expect(text).toContain("`/mtls scan [&lt;ns&gt;]`");
    expect(text).toContain("`/mtls clusters`");
    expect(text).toContain("`/mtls help`");
    expect(text).toContain("`/mtls check inventory.shop from report-generator.legacy`");
    expect(text).toContain(":white_check_mark:");
    expect(text).not.toMatch(/<(?!!date)/);
    expect(messageLimitProblems(msg)).toEqual([]);
  });

  it("names the configured reactions", () => {
    expect(messageText(renderHelp({ approveReaction: "rocket", rejectReaction: "no_entry" }))).toContain(":rocket: on a fix to apply it");
  });

  it("says what was wrong with a command and how to get help", () => {
    const msg = renderUsage('unknown command "frobnicate"');
    expect(msg.text).toBe('I could not read that command: unknown command "frobnicate"');
    expect(messageText(msg)).toContain("`/mtls help` shows examples");
  });
});

describe("renderClusters", () => {
  it("lists clusters by name with their workers and last heartbeat", () => {
    const msg = renderClusters([
      { name: "prod", workers: 2, lastSeen: new Date("2026-11-27T12:00:00Z") },
      { name: "dev", workers: 0, lastSeen: "2026-11-27T10:00:00.000Z" },
    ]);
    const text = messageText(msg);
    expect(text.indexOf("*dev*")).toBeLessThan(text.indexOf("*prod*"));
    expect(text).toContain("• *prod* — ✅ 2 workers, last seen <!date^1795780800^{ago}|2026-11-27 12:00 UTC>");
    expect(text).toContain("• *dev* — ⚠️ no running worker, last seen <!date^1795773600^{ago}|2026-11-27 10:00 UTC>");
    expect(msg.text).toBe("1 of 2 cluster(s) have a running worker");
  });

  it("shows each cluster's preflight: all well, optional items skipped with what enables them, or not ready", () => {
    const at = "2026-11-27T12:00:00.000Z";
    const text = messageText(
      renderClusters([
        { name: "dev", workers: 1, lastSeen: at, preflight: { at, ready: true, blocking: 0, degraded: 0, problems: [] } },
        {
          name: "prod",
          workers: 1,
          lastSeen: at,
          preflight: { at, ready: true, blocking: 0, degraded: 1, problems: [{ name: "get,create pods/exec", required: false, enable: "Helm value proxyInspection.exec=true <or> a rule" }] },
        },
        {
          name: "staging",
          workers: 1,
          lastSeen: at,
          preflight: {
            at,
            ready: false,
            blocking: 4,
            degraded: 1,
            problems: ["a", "b", "c", "d"].map((n) => ({ name: `scope ${n}`, required: true, enable: "reinstall the app" })),
          },
        },
        { name: "old", workers: 1, lastSeen: at },
      ]),
    );
    expect(text).toMatch(/\*dev\* — ✅ 1 worker, [^\n]*\n {4}preflight: ✅ everything works/);
    expect(text).toContain("    preflight: ⚠️ ready, 1 optional item missing (some checks are skipped)\n      ◦ optional `get,create pods/exec`: Helm value proxyInspection.exec=true &lt;or&gt; a rule");
    expect(text).toContain("    preflight: ❌ not ready: 4 required items missing");
    expect(text).toContain("◦ required `scope c`: reinstall the app\n      ◦ … 2 more: run `mtls-doctor preflight` in the worker");
    expect(text).not.toContain("scope d");
    expect(text).toMatch(/\*old\*[^\n]*\n {4}preflight: not reported yet/);
  });

  it("says how to start a worker when there is none", () => {
    expect(messageText(renderClusters([]))).toContain("Start `mtls-doctor worker` in each cluster");
  });

  it("stays within limits with very many clusters", () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ name: `cluster-${i}`, workers: 1, lastSeen: new Date(0) }));
    const msg = renderClusters(many);
    expect(messageLimitProblems(msg)).toEqual([]);
    expect(messageText(msg)).toContain("more not shown");
  });
});
