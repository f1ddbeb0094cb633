import { describe, expect, it } from "vitest";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { renderIncidentAnnouncement, renderIncidentDetails, renderIncidentResolved, type IncidentFindingView } from "../../src/slack/render-incident.js";

const AT = new Date("2026-11-27T12:00:00Z");

function finding(i: number, overrides: Partial<IncidentFindingView> = {}): IncidentFindingView {
  return {
    code: i % 3 === 0 ? "MTLS203" : "MTLS501",
    name: i % 3 === 0 ? "DestinationRuleDisablesMtls" : "HttpProbeNotRewritten",
    severity: "critical",
    resource: `Pod batch/worker-${i}`,
    message: `worker ${i}: ${"the liveness probe is refused because kubelet has no mesh certificate & ".repeat(8)}`,
    evidence: ["liveness: httpGet /healthz port 8080", "x".repeat(500), "third line not shown"],
    ...overrides,
  };
}

function allText(messages: { text: string; blocks: unknown[] }[]): string {
  return messages.map((m) => `${m.text}\n${JSON.stringify(m.blocks)}`).join("\n");
}

describe("incident messages", () => {
  it("announce with one line per code, who asked and a link to the thread", () => {
    const message = renderIncidentAnnouncement({
      cluster: "prod",
      trigger: { origin: "command", subject: "storefront.shop", userId: "U0REQUEST", permalink: "https://example.slack.com/archives/C1/p1" },
      findings: Array.from({ length: 12 }, (_, i) => finding(i)),
      stillOpen: 2,
      at: AT,
    });
    expect(messageLimitProblems(message)).toEqual([]);
    const text = allText([message]);
    expect(text).toContain("<@U0REQUEST>");
    expect(text).toContain("<https://example.slack.com/archives/C1/p1|the diagnosis thread>");
    expect(text).toContain("12 new problems");
    expect(text).toContain("2 earlier problems still open");
    expect(text.match(/• 🔴/g)).toHaveLength(2);
  });

  it("put every finding of a large burst in thread replies that each fit Slack's limits", () => {
    const findings = Array.from({ length: 200 }, (_, i) => finding(i));
    const pages = renderIncidentDetails("prod", findings);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(messageLimitProblems(page)).toEqual([]);
    const text = allText(pages);
    for (let i = 0; i < 200; i++) expect(text).toContain(`worker-${i}\``);
    expect(text).not.toContain("third line not shown");
  });

  it("escape what the cluster names, so no name can mention a channel or carry a link", () => {
    const hostile = finding(1, { resource: "Pod shop/<!channel>", message: "<https://evil.example|click> @here" });
    const messages = [
      renderIncidentAnnouncement({ cluster: "prod", trigger: { origin: "watch", subject: "scan of <!here>" }, findings: [hostile], stillOpen: 0, at: AT }),
      ...renderIncidentDetails("prod", [hostile]),
      renderIncidentResolved({ cluster: "prod", trigger: { origin: "schedule", subject: "scan" }, resolved: [{ ...hostile, firstSeen: AT.toISOString() }], at: AT }),
    ];
    const text = allText(messages);
    expect(text).not.toMatch(/<!channel>|<!here>|<https:\/\/evil/);
    expect(text).not.toMatch(/(^|[^\u200b])@here/);
  });

  it("resolve in a reply that names each finding and how long it was open", () => {
    const message = renderIncidentResolved({
      cluster: "prod",
      trigger: { origin: "schedule", subject: "scan of shop" },
      resolved: [{ code: "MTLS203", name: "DestinationRuleDisablesMtls", resource: "DestinationRule shop/storefront", firstSeen: "2026-11-27T10:00:00Z" }],
      at: AT,
    });
    expect(messageLimitProblems(message)).toEqual([]);
    expect(allText([message])).toMatch(/Resolved.*no longer seen by the scheduled scan/);
    expect(allText([message])).toContain("`DestinationRule shop/storefront`, open since <!date^");
  });
});
