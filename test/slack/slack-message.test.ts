import { describe, expect, it } from "vitest";
import { messageLimitProblems } from "../../src/slack/message-limit-problems.js";
import { context, divider, fieldsSection, header, section, SLACK_LIMITS, slackMessage, type Block } from "../../src/slack/slack-message.js";

describe("slackMessage", () => {
  it("marks every mrkdwn text verbatim, so that Slack does not turn names into links or mentions", () => {
    const msg = slackMessage("t", [section("a"), context("b"), fieldsSection(["c"])]);
    const texts = msg.blocks.flatMap((b) => (b.type === "section" ? [b.text, ...(b.fields ?? [])] : b.type === "context" ? b.elements : []));
    for (const t of texts) if (t) expect(t).toMatchObject({ type: "mrkdwn", verbatim: true });
  });

  it("keeps markup out of headers", () => {
    expect(header("<!channel> & co").text.text).toBe("‹!channel› ＆ co");
  });

  it("brings anything a renderer got wrong within Slack's limits", () => {
    const blocks: Block[] = [
      header("h".repeat(400)),
      section("s".repeat(10_000)),
      fieldsSection(Array.from({ length: 20 }, () => "f".repeat(5000))),
      context(...Array.from({ length: 20 }, () => "c")),
      section(""),
      ...Array.from({ length: 80 }, () => divider()),
      ...Array.from({ length: 80 }, (_, i) => section(`section ${i} ${"x".repeat(500)}`)),
    ];
    const raw = { text: "", blocks };
    expect(messageLimitProblems(raw).length).toBeGreaterThan(5);
    const msg = slackMessage("x".repeat(10_000), blocks);
    expect(messageLimitProblems(msg)).toEqual([]);
    const last = msg.blocks[msg.blocks.length - 1];
    expect(last).toMatchObject({ type: "context" });
    expect(JSON.stringify(last)).toContain("did not fit in one Slack message");
  });

  it("gives an empty fallback text a value", () => {
    expect(slackMessage("  ", [divider()]).text).toBe("mtls-doctor");
  });

  it("reports each problem", () => {
    const problems = messageLimitProblems({ text: "ok", blocks: Array.from({ length: SLACK_LIMITS.blocks + 1 }, () => divider()) });
    expect(problems).toEqual(["51 blocks, more than 50"]);
  });
});
