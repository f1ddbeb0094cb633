import { describe, expect, it } from "vitest";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { fixFilename, renderFixReply } from "../../src/slack/render-fix.js";
import { buildFinding, buildFix } from "./build-report.js";
import { messageText } from "./message-texts.js";

const options = { approveReaction: "white_check_mark", rejectReaction: "x", fixesEnabled: true, expiresAt: new Date("2026-11-27T13:00:00Z") };

describe("renderFixReply", () => {
  const fix = buildFix();
  const finding = buildFinding("MTLS201", { resource: "Deployment legacy/report-generator", fixes: [fix] });

  it("shows title, risk, targets, the finding it answers, a preview and how to approve", () => {
    const msg = renderFixReply(fix, finding, options);
    const text = messageText(msg);
    expect(text).toContain(`🛠️ *Fix:* ${fix.title}`);
    expect(text).toContain("For 🔴 *MTLS201 PlaintextClientToStrictServer* on `Deployment legacy/report-generator`");
    expect(text).toContain("*Risk:* 🟢 low (a policy exception or a label)");
    expect(text).toContain("• `PeerAuthentication shop/inventory-permissive-8080`");
    expect(text).toContain("```\napiVersion: security.istio.io/v1\nkind: PeerAuthentication");
    expect(text).toContain(
      "React with :white_check_mark: to apply it (dry-run first, then server-side apply, then a re-check) or :x: to dismiss it. Approvers only; expires <!date^1795784400^{date_short_pretty} at {time}|2026-11-27 13:00 UTC>.",
    );
    expect(text).not.toContain("kubectl apply");
    expect(msg.text).toBe(`Fix for MTLS201: ${fix.title} (low risk)`);
    expect(messageLimitProblems(msg)).toEqual([]);
  });

  it("previews at most 15 lines and leaves the rest to the uploaded file", () => {
    const long = buildFix({ yaml: Array.from({ length: 200 }, (_, i) => `key${i}: value`).join("\n") });
    const text = messageText(renderFixReply(long, buildFinding("MTLS208", { fixes: [long] }), options));
    expect(text).toContain("key14: value");
    expect(text).not.toContain("key15: value");
    expect(text).toContain("# … 185 more line(s) in the file");
  });

  it("asks for a manual apply when fixes are off, without reaction instructions", () => {
    const text = messageText(renderFixReply(fix, finding, { ...options, fixesEnabled: false }));
    expect(text).toContain("By hand: `kubectl apply --server-side --field-manager=mtls-doctor -f mtls201-inventory-permissive-8080.yaml`");
    expect(text).toContain("FIXES_ENABLED");
    expect(text).not.toContain("React with");
  });

  it("never offers a manual fix for approval", () => {
    const manual = buildFix({ manual: true, byHand: "kubectl delete -f <file>", title: "Delete the ignored policy", targets: ["PeerAuthentication shop/old"] });
    const text = messageText(renderFixReply(manual, buildFinding("MTLS207", { fixes: [manual] }), options));
    expect(text).toContain("By hand: `kubectl delete -f mtls207-old.yaml`");
    expect(text).not.toContain(":white_check_mark:");
  });

  it("shows the risk of a high-risk fix", () => {
    expect(messageText(renderFixReply(buildFix({ risk: "high" }), finding, options))).toContain("*Risk:* 🔴 high (widens access)");
  });
});

describe("fixFilename", () => {
  it("is the code and the first object the fix touches", () => {
    const fix = buildFix();
    expect(fixFilename(fix, buildFinding("MTLS201", { fixes: [fix] }))).toBe("mtls201-inventory-permissive-8080.yaml");
  });

  it("works for cluster-scoped objects", () => {
    const fix = buildFix({ targets: ["Namespace legacy", "Deployment legacy/report-generator"] });
    expect(fixFilename(fix, buildFinding("MTLS102", { fixes: [fix] }))).toBe("mtls102-legacy.yaml");
  });

  it("tells two fixes of one finding for the same object apart", () => {
    const a = buildFix({ targets: ["DestinationRule shop/inventory"] });
    const b = buildFix({ title: "remove tls", targets: ["DestinationRule shop/inventory"] });
    const finding = buildFinding("MTLS203", { fixes: [a, b] });
    expect([fixFilename(a, finding), fixFilename(b, finding)]).toEqual(["mtls203-inventory.yaml", "mtls203-inventory-2.yaml"]);
  });

  it("is safe whatever the names hold", () => {
    const fix = buildFix({ targets: ["Pod ../../etc/passwd <!channel> `x`"] });
    const name = fixFilename(fix, buildFinding("MTLS101", { fixes: [fix] }));
    expect(name).toMatch(/^[a-z0-9][a-z0-9.-]*\.yaml$/);
    expect(name).not.toContain("..");
    expect(fixFilename(buildFix({ targets: [] }), buildFinding("MTLS101"))).toBe("mtls101.yaml");
  });
});
