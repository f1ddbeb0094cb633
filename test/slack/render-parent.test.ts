import { describe, expect, it } from "vitest";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { renderParentError, renderParentPending, renderParentProgress, renderParentVerdict } from "../../src/slack/render-parent.js";
import { buildFinding, buildReport } from "./build-report.js";
import { messageText } from "./message-texts.js";

const check = { service: "service-b", namespace: "default", cluster: "prod", requestedBy: "U0ASKER" };

describe("parent message", () => {
  it("says what is being checked, where, and who asked", () => {
    const msg = renderParentPending(check);
    expect(msg.text).toBe("Checking service-b.default on prod…");
    expect(messageText(msg)).toContain("⏳ Checking *service-b.default* on *prod*…");
    expect(messageText(msg)).toContain("Requested by <@U0ASKER>");
    expect(messageText(msg)).toContain("`/mtls check service-b.default cluster prod`");
    expect(messageLimitProblems(msg)).toEqual([]);
  });

  it("names the client when one was given", () => {
    expect(messageText(renderParentPending({ ...check, from: "service-a.web" }))).toContain("*service-b.default* from *service-a.web* on *prod*");
  });

  it("describes a scan", () => {
    const shop = renderParentPending({ service: "", namespace: "shop", scan: true, cluster: "prod", requestedBy: "U1X" });
    expect(shop.text).toBe("Scanning shop on prod…");
    expect(messageText(shop)).toContain("`/mtls scan shop cluster prod`");
    const all = renderParentPending({ service: "", namespace: "all namespaces", scan: true, cluster: "prod", requestedBy: "U1X" });
    expect(all.text).toBe("Scanning all namespaces on prod…");
    expect(messageText(all)).toContain("`/mtls scan cluster prod`");
  });

  it("shows progress and the running check", () => {
    const msg = renderParentProgress({ ...check, done: 5, total: 10, current: "plaintext-client" });
    const text = messageText(msg);
    expect(text).toContain("`▓▓▓▓▓░░░░░` 5 of 10 checks done · running `plaintext-client`");
    expect(msg.text).toContain("5 of 10 checks done");
  });

  it("keeps progress sane when the counts are off", () => {
    expect(messageText(renderParentProgress({ ...check, done: 12, total: 10 }))).toContain("10 of 10 checks done");
    expect(messageText(renderParentProgress({ ...check, done: 0, total: 0 }))).toContain("0 of 0 checks done");
  });

  it("gives the verdict: emoji, counts by severity, the worst finding's code and name, a link to the thread", () => {
    const report = buildReport({ findings: [buildFinding("MTLS201"), buildFinding("MTLS101"), buildFinding("MTLS102")] });
    const msg = renderParentVerdict({ ...check, report, threadPermalink: "https://example.slack.com/archives/C1/p123" });
    const text = messageText(msg);
    expect(text).toContain("🔴 *service-b.default* on *prod*: *critical* — 1 critical, 2 warning · worst: *MTLS201 PlaintextClientToStrictServer*");
    expect(text).toContain("<https://example.slack.com/archives/C1/p123|Details in the thread>");
    expect(msg.text).toBe("service-b.default on prod: critical (1 critical, 2 warning) — MTLS201 PlaintextClientToStrictServer");
  });

  it("says plainly when nothing is wrong", () => {
    const msg = renderParentVerdict({ ...check, report: buildReport() });
    expect(messageText(msg)).toContain("✅ *service-b.default* on *prod*: no problems found");
    expect(messageText(msg)).toContain("Details in the thread");
  });

  it("never links a permalink that is not https", () => {
    const msg = renderParentVerdict({ ...check, report: buildReport(), threadPermalink: "javascript:alert(1)" });
    expect(messageText(msg)).not.toContain("javascript:");
  });

  it("explains an error and what to do next", () => {
    const msg = renderParentError({ ...check, message: "the worker for cluster prod is not running" });
    const text = messageText(msg);
    expect(text).toContain("❌ Could not check *service-b.default* on *prod*: the worker for cluster prod is not running");
    expect(text).toContain("*What to do:* Run `/mtls clusters`");
    expect(messageText(renderParentError({ ...check, message: "timed out", nextStep: "Try again in a minute." }))).toContain("*What to do:* Try again in a minute.");
  });

  it("shows a user ID that is not one as text, never as a mention", () => {
    expect(messageText(renderParentPending({ ...check, requestedBy: "<!channel>" }))).toContain("Requested by &lt;!channel&gt;");
  });
});
