import { describe, expect, it } from "vitest";
import { codeBlock, codeSpan, escapeCodeLine, escapeMrkdwn } from "../../src/slack/escape-mrkdwn.js";
import { fitLines } from "../../src/slack/fit-lines.js";
import { truncateMrkdwn } from "../../src/slack/truncate-mrkdwn.js";

/** Any `&` that does not start one of Slack's three entities, or any `<`/`>`, is markup Slack would read. */
const RAW_MARKUP = /[<>]|&(?!amp;|lt;|gt;)/;

describe("escapeMrkdwn", () => {
  it.each([
    ["<!channel>", "&lt;!channel&gt;"],
    ["<!here> and <!everyone>", "&lt;!here&gt; and &lt;!everyone&gt;"],
    ["<@U123>", "&lt;@U123&gt;"],
    ["<https://evil.example/login|click here>", "&lt;https://evil.example/login|click here&gt;"],
    ["<#C0123|general> <!subteam^S123>", "&lt;#C0123|general&gt; &lt;!subteam^S123&gt;"],
    ["a & b", "a &amp; b"],
    ["&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"],
  ])("escapes %j", (raw, escaped) => {
    expect(escapeMrkdwn(raw)).toBe(escaped);
    expect(escapeMrkdwn(raw)).not.toMatch(RAW_MARKUP);
  });

  it("keeps bare broadcast words from becoming mentions", () => {
    const out = escapeMrkdwn("ping @here, @channel and @Everyone");
    expect(out).not.toMatch(/@(here|channel|everyone)\b/i);
    expect(out.replace(/\u200b/g, "")).toBe("ping @here, @channel and @Everyone");
  });

  it("drops control characters but keeps newlines and tabs", () => {
    expect(escapeMrkdwn("\u001b[31mred\u001b[0m\u0000\n\tnext")).toBe("[31mred[0m\n\tnext");
  });

  it("leaves ordinary text alone", () => {
    expect(escapeMrkdwn("Service shop/inventory port 80 → 8080: STRICT")).toBe("Service shop/inventory port 80 → 8080: STRICT");
  });
});

describe("code spans and blocks", () => {
  it("neutralises backticks so that a name cannot close the span", () => {
    const span = codeSpan("evil`<!channel>`name");
    expect(span).toBe("`evilˋ&lt;!channel&gt;ˋname`");
    expect(span.match(/`/g)).toHaveLength(2);
  });

  it("keeps a span on one line and never empty", () => {
    expect(codeSpan("a\nb")).toBe("`a b`");
    expect(codeSpan("")).toBe("` `");
  });

  it("cannot be closed early by triple backticks inside a block", () => {
    const block = codeBlock(["ok", escapeCodeLine("```<@U123>```"), "end"]);
    expect(block.match(/```/g)).toHaveLength(2);
    expect(block).not.toContain("<@U123>");
  });
});

describe("truncateMrkdwn", () => {
  it("never cuts inside an entity", () => {
    const escaped = escapeMrkdwn("<".repeat(50));
    for (let max = 2; max < 40; max += 1) {
      const cut = truncateMrkdwn(escaped, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).not.toMatch(RAW_MARKUP);
      expect(cut.endsWith("…")).toBe(true);
    }
  });

  it("never splits a surrogate pair", () => {
    expect(truncateMrkdwn("😀😀😀", 4)).toBe("😀…");
  });

  it("returns short text unchanged", () => {
    expect(truncateMrkdwn("short", 10, " (more)")).toBe("short");
  });
});

describe("fitLines", () => {
  const more = (n: number) => `… (${n} more)`;

  it("keeps every line when they fit", () => {
    expect(fitLines(["a", "b"], { maxChars: 10, more })).toEqual({ text: "a\nb", shown: 2, omitted: 0, shortened: false });
  });

  it("says how many lines were left out and stays within the budget", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const fitted = fitLines(lines, { maxChars: 60, more });
    expect(fitted.text.length).toBeLessThanOrEqual(60);
    expect(fitted.text).toContain(`… (${fitted.omitted} more)`);
    expect(fitted.shown + fitted.omitted).toBe(100);
  });

  it("honours the line cap", () => {
    const fitted = fitLines(["a", "b", "c", "d"], { maxChars: 1000, maxLines: 2, more });
    expect(fitted.text).toBe("a\nb\n… (2 more)");
  });

  it("shortens a single line that is longer than the budget", () => {
    const fitted = fitLines(["x".repeat(500), "y"], { maxChars: 50, more });
    expect(fitted.text.length).toBeLessThanOrEqual(50);
    expect(fitted.shortened).toBe(true);
    expect(fitted.omitted).toBe(1);
  });
});

describe("fitLines with one long line", () => {
  it("shortens it without claiming lines were left out", () => {
    const fitted = fitLines(["z".repeat(300)], { maxChars: 40, more: (n) => `… (${n} more)` });
    expect(fitted).toMatchObject({ shown: 1, omitted: 0, shortened: true });
    expect(fitted.text).toHaveLength(40);
    expect(fitted.text).not.toContain("more");
  });
});
