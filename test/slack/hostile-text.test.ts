import { describe, expect, it } from "vitest";
import type { Report } from "../../src/report/report.js";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { renderFindings } from "../../src/slack/render-findings.js";
import { fixFilename, renderFixReply } from "../../src/slack/render-fix.js";
import { renderClusters, renderUsage } from "../../src/slack/render-help.js";
import { renderParentError, renderParentPending, renderParentProgress, renderParentVerdict } from "../../src/slack/render-parent.js";
import { renderSummary } from "../../src/slack/render-summary.js";
import type { SlackMessage } from "../../src/slack/slack-message.js";
import { buildFinding, buildFix, buildReport } from "./build-report.js";
import { messageTexts } from "./message-texts.js";

// What someone who controls a name in the cluster, a log line or a command could try.
const HOSTILE = "<!channel> <!here> <@U123> <https://evil.example|click> <#C1> <!subteam^S1> & @here `code` ```block```";
const TICK = "res`tick"; // shown in code spans: its backtick must not close them

/** Markup mtls-doctor writes itself: dates, the requester's mention, the thread permalink. */
const OWN_MARKUP = [/<!date\^\d+\^[^|<>]*\|[^<>]*>/g, /<@U0REQ>/g, /<https:\/\/example\.slack\.com\/archives\/C1\/p1\|[^<>]*>/g];

function expectNoInjection(message: SlackMessage): void {
  const texts = messageTexts(message);
  for (const text of texts) {
    const foreign = OWN_MARKUP.reduce((t, own) => t.replace(own, ""), text);
    expect(foreign).not.toMatch(/[<>]/);
    expect(foreign).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(foreign).not.toMatch(/@(here|channel|everyone)\b/);
  }
  // Names with a backtick are shown in code spans in the blocks (the fallback text is not
  // formatted): there the backtick is neutralised, so every span and fence stays balanced.
  for (const text of texts.slice(1)) {
    expect(text).not.toContain(TICK);
    expect((text.match(/`/g) ?? []).length % 2).toBe(0);
  }
}

function hostileReport(): Report {
  const fix = buildFix({ title: `fix ${HOSTILE}`, yaml: `metadata:\n  name: ${HOSTILE}\n`, targets: [`PeerAuthentication shop/${TICK}`, HOSTILE] });
  const findings = [
    buildFinding("MTLS201", { resource: `Deployment legacy/${TICK}`, message: `message ${HOSTILE}`, evidence: [`evidence ${HOSTILE}`], fixes: [fix] }),
    buildFinding("MTLS903", { name: `Name ${HOSTILE}`, upstreamCode: `IST${HOSTILE}`, resource: `Pod a/${TICK}`, message: HOSTILE }),
    ...Array.from({ length: 6 }, (_, i) => buildFinding("MTLS202", { resource: `Pod shop/${TICK}-${i}`, message: `${HOSTILE} ${i}` })),
  ];
  return buildReport({
    target: { service: `svc${HOSTILE}`, namespace: HOSTILE, ports: [] },
    source: { kind: HOSTILE, name: HOSTILE, namespace: HOSTILE },
    findings,
    mtls: [
      { service: `${TICK}/${HOSTILE}`, port: 80, targetPort: HOSTILE, serverMode: "STRICT", serverPolicy: HOSTILE, clientSends: "PLAINTEXT", clientPolicy: HOSTILE, outcome: "refused" },
    ],
    proxies: [
      {
        pod: `shop/${TICK}`,
        certificates: [{ name: HOSTILE, type: "CA", serial: HOSTILE, notBefore: HOSTILE, notAfter: HOSTILE, valid: false, uriSans: [HOSTILE], trustDomain: HOSTILE }],
      },
    ],
    checks: [{ name: TICK, status: "skipped", detail: HOSTILE }],
  });
}

describe("hostile text from users and the cluster", () => {
  const subject = { service: `svc${HOSTILE}`, namespace: HOSTILE, from: HOSTILE, cluster: HOSTILE, requestedBy: "U0REQ" };
  const report = hostileReport();

  it("never reaches the parent message unescaped", () => {
    const permalink = "https://example.slack.com/archives/C1/p1";
    for (const msg of [
      renderParentPending(subject),
      renderParentPending({ service: HOSTILE, namespace: HOSTILE, scan: true, cluster: HOSTILE, requestedBy: "U0REQ" }),
      renderParentProgress({ ...subject, done: 1, total: 3, current: TICK }),
      renderParentVerdict({ ...subject, report, threadPermalink: permalink }),
      renderParentVerdict({ ...subject, report, threadPermalink: `https://evil.example/x|<!channel>` }),
      renderParentError({ ...subject, message: HOSTILE, nextStep: HOSTILE }),
    ]) {
      expectNoInjection(msg);
      expect(messageLimitProblems(msg)).toEqual([]);
    }
  });

  it("never reaches the summary, finding replies or fix replies unescaped", () => {
    expectNoInjection(renderSummary(report, { cluster: HOSTILE }));
    const { messages, overflow } = renderFindings(report);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expectNoInjection(m);
    for (const f of report.findings) {
      for (const fix of f.fixes) {
        for (const fixesEnabled of [true, false]) {
          expectNoInjection(renderFixReply(fix, f, { approveReaction: "white_check_mark", rejectReaction: HOSTILE, fixesEnabled, expiresAt: new Date(0) }));
        }
        expect(fixFilename(fix, f)).toMatch(/^[a-z0-9][a-z0-9.-]*\.yaml$/);
      }
    }
    expect(overflow?.filename).toMatch(/^mtls-findings-[a-z0-9][a-z0-9.-]*-\d{8}T\d{4}Z\.md$/);
    expect(overflow?.filename).not.toContain("..");
  });

  it("never reaches usage or cluster replies unescaped", () => {
    expectNoInjection(renderUsage(HOSTILE));
    expectNoInjection(renderClusters([{ name: HOSTILE, workers: 1, lastSeen: new Date(0) }]));
  });

  it("still shows the text itself, escaped", () => {
    const text = messageTexts(renderFindings(report).messages[0]!).join("\n");
    expect(text).toContain("message &lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;");
    expect(text).toContain("`Deployment legacy/resˋtick`");
  });
});
