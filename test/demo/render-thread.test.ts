import { describe, expect, it } from "vitest";
import { renderBlock, renderFile, renderInline, renderMessage, renderThread, visibleWidth, wrapText, type RenderOptions, type Thread } from "../../demo/render-thread.js";

const ESC = "\u001b[";
const plain: RenderOptions = { color: false, width: 80 };
const colored: RenderOptions = { color: true, width: 80 };

const mrkdwn = (text: string) => ({ type: "mrkdwn", text, verbatim: true });
const section = (text: string) => ({ type: "section", text: mrkdwn(text) });
const header = (text: string) => ({ type: "header", text: { type: "plain_text", text, emoji: true } });
const context = (...texts: string[]) => ({ type: "context", elements: texts.map(mrkdwn) });
const divider = { type: "divider" };

/** The messages as mtls-doctor posts them (shapes taken from a real run of the demo). */
const verdict = {
  text: "storefront.shop from checkout.shop on prod: critical (3 critical, 2 warning) — MTLS203 DestinationRuleDisablesMtls",
  blocks: [
    section("🔴 *storefront.shop* from *checkout.shop* on *prod*: *critical* — 3 critical, 2 warning · worst: *MTLS203 DestinationRuleDisablesMtls*"),
    context("Requested by <@U0DEMO> · `/mtls check storefront.shop from checkout.shop cluster prod` · <https://fake.slack/archives/C1/p1|Details in the thread>"),
  ],
  edited: true,
};
const summary = {
  blocks: [
    header("🔴 Critical: traffic is or will be refused"),
    section(
      "*mTLS by port*  _port → container port · outcome_\n```\n80 → 8080    STRICT (shop/default)  ←  ISTIO_MUTUAL (auto)        ✅ ok\n9090 → 9090  STRICT (shop/default)  ←  DISABLE (shop/storefront)  ❌ refused\n```",
    ),
    divider,
    context("Diagnosed <!date^1795823177^{date_short_pretty} at {time}|2026-11-27 23:46 UTC> · cluster `prod`"),
  ],
};
const finding = {
  blocks: [
    section("⚠️ *MTLS502 ContainersRestartingOnProbes* · warning\n`Pod shop/storefront-canary-84b6d-q7wzn`"),
    section("*Evidence*\n• read tcp 10.44.3.1:41822-&gt;10.44.3.17:8080: read: connection reset by peer &amp; more &lt;here&gt;"),
  ],
};
const fixReply = {
  blocks: [section("React with :white_check_mark: to apply it or :x: to dismiss it. Approvers only.")],
};
const yaml = ["apiVersion: networking.istio.io/v1", "kind: DestinationRule", "metadata:", "  name: storefront", "  namespace: shop", ""].join("\n");
const fileShare = { text: "", files: [{ id: "F1", name: "mtls203-storefront.yaml", title: "Set DestinationRule shop/storefront to tls.mode ISTIO_MUTUAL" }] };

const thread: Thread = {
  channel: "mesh",
  author: "mtls-doctor",
  parent: verdict,
  replies: [summary, finding, fixReply, fileShare],
  files: { F1: { name: "mtls203-storefront.yaml", title: "Set DestinationRule shop/storefront to tls.mode ISTIO_MUTUAL", content: yaml } },
};

describe("renderThread", () => {
  it("prints the channel, the parent's final text, then every reply in order, without colour when asked", () => {
    const out = renderThread(thread, plain);
    expect(out).not.toContain("\u001b");
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^━━ #mesh ━+$/);
    // The parent's blocks, wrapped at the width less the message indentation.
    expect(lines.slice(2, 4)).toEqual([
      "mtls-doctor  (edited)",
      "  🔴 storefront.shop from checkout.shop on prod: critical — 3 critical, 2",
    ]);
    expect(out).toContain("  Requested by @U0DEMO · `/mtls check storefront.shop from checkout.shop cluster\n  prod` · Details in the thread\n");
    expect(out).toContain("💬 4 replies");
    const order = ["reply 1 of 4", "Critical: traffic is or will be refused", "reply 2 of 4", "MTLS502", "reply 3 of 4", "reply 4 of 4", "📎 mtls203-storefront.yaml (5 lines)"];
    const positions = order.map((text) => out.indexOf(text));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Every prose line fits the width (code blocks and files keep their lines as they are).
    for (const line of lines.filter((l) => !l.startsWith("      "))) expect(visibleWidth(line)).toBeLessThanOrEqual(80);
  });

  it("names mentioned users when it knows them", () => {
    expect(renderThread(thread, { ...plain, users: { U0DEMO: "alice" } })).toContain("Requested by @alice ·");
    expect(renderThread(thread, plain)).toContain("Requested by @U0DEMO ·");
  });

  it("uses ANSI styles with colour: bold header and *bold*, dim context, code coloured", () => {
    const out = renderThread(thread, colored);
    expect(out).toContain(`${ESC}1m🔴 Critical: traffic is or will be refused${ESC}22m`);
    expect(out).toContain(`${ESC}1mstorefront.shop${ESC}22m`);
    expect(out).toMatch(new RegExp(`\\u001b\\[2mDiagnosed 2026-11-27 23:46 UTC`));
    expect(out).toContain(`${ESC}36m\`prod\`${ESC}39m`);
  });
});

describe("blocks", () => {
  it("headers are bold, sections wrapped at the width, dividers a line", () => {
    expect(renderBlock(header("Hello :tada:"), colored)).toEqual([`${ESC}1mHello 🎉${ESC}22m`]);
    const long = renderBlock(section("word ".repeat(40).trim()), { ...plain, width: 30 });
    expect(long.length).toBeGreaterThan(5);
    for (const line of long) expect(line.length).toBeLessThanOrEqual(30);
    expect(renderBlock(divider, { ...plain, width: 20 })).toEqual(["─".repeat(20)]);
  });

  it("code blocks are indented and kept line for line, never wrapped or formatted", () => {
    const lines = renderBlock(section("before\n```\n  a: *not bold*\n  b: x &lt; y\n```\nafter"), { ...plain, width: 12 });
    expect(lines).toEqual(["before", "      a: *not bold*", "      b: x < y", "after"]);
  });

  it("context lines are dim, and date tokens show their fallback", () => {
    expect(renderBlock(context("Diagnosed <!date^1795823177^{time}|2026-11-27 23:46 UTC>"), colored)).toEqual([`${ESC}2mDiagnosed 2026-11-27 23:46 UTC${ESC}22m`]);
  });

  it("an unknown block says so instead of vanishing", () => {
    expect(renderBlock({ type: "actions", elements: [] }, plain)).toEqual(["[actions block]"]);
  });

  it("a message without blocks shows its text", () => {
    expect(renderMessage({ text: "The same request was just answered: *ok*" }, {}, plain)).toEqual(["The same request was just answered: ok"]);
  });
});

describe("mrkdwn", () => {
  it("unescapes &lt; &gt; &amp; once", () => {
    const out = renderMessage(finding, {}, { ...plain, width: 200 }).join("\n");
    expect(out).toContain("10.44.3.1:41822->10.44.3.17:8080: read: connection reset by peer & more <here>");
    expect(renderInline("&amp;lt;", plain)).toBe("&lt;");
  });

  it("drops emphasis markers without colour, keeps code spans as typed, shows emoji and link labels", () => {
    expect(renderInline("*bold* _it_ ~gone~ `*kept*` and ISTIO_MUTUAL_x", plain)).toBe("bold it gone `*kept*` and ISTIO_MUTUAL_x");
    expect(renderInline("React with :white_check_mark: or :x: at 12:00:00", plain)).toBe("React with ✅ or ❌ at 12:00:00");
    expect(renderInline("<https://example.com/a?b=1&amp;c=2|the thread> <https://example.com> <#C1|mesh> <!here>", plain)).toBe(
      "the thread https://example.com #mesh @here",
    );
  });

  it("strips control characters from the text, so a message cannot restyle the terminal", () => {
    expect(renderInline("evil \u001b[31mred\u001b[0m \u0007bell", plain)).toBe("evil [31mred[0m bell");
  });
});

describe("files", () => {
  it("shows name, line count, title and the content indented", () => {
    expect(renderFile(fileShare.files[0] ?? { id: "F1" }, thread.files["F1"], plain)).toEqual([
      "📎 mtls203-storefront.yaml (5 lines)",
      "   Set DestinationRule shop/storefront to tls.mode ISTIO_MUTUAL",
      "    apiVersion: networking.istio.io/v1",
      "    kind: DestinationRule",
      "    metadata:",
      "      name: storefront",
      "      namespace: shop",
    ]);
  });

  it("cuts a long file after maxFileLines with a note", () => {
    const content = Array.from({ length: 45 }, (_, i) => `line${i + 1}: x`).join("\n");
    const lines = renderFile({ id: "F2" }, { name: "big.yaml", content }, plain);
    expect(lines[0]).toBe("📎 big.yaml (45 lines)");
    expect(lines).toContain("    line30: x");
    expect(lines).not.toContain("    line31: x");
    expect(lines.at(-1)).toBe("    … 15 more lines (45 in all)");
  });

  it("says so when a shared file's content never arrived", () => {
    expect(renderFile({ id: "F9", name: "lost.yaml" }, undefined, plain)).toEqual(["📎 lost.yaml (its content was not uploaded)"]);
  });
});

describe("wrapText", () => {
  it("hangs bullet continuations under the text and keeps long words whole", () => {
    expect(wrapText("• alpha beta gamma delta", 14)).toEqual(["• alpha beta", "  gamma delta"]);
    expect(wrapText("see https://example.com/a/very/long/path ok", 10)).toEqual(["see", "https://example.com/a/very/long/path", "ok"]);
  });

  it("closes a style at a line break and opens it again on the next line", () => {
    const lines = wrapText(`${ESC}4mone two three${ESC}24m four`, 9);
    expect(lines).toEqual([`${ESC}4mone two${ESC}0m`, `${ESC}4mthree${ESC}24m four`]);
  });

  it("counts emoji as two columns and styles as none", () => {
    expect(visibleWidth("🔴 ok")).toBe(5);
    expect(visibleWidth("⚠️ x")).toBe(4);
    expect(visibleWidth(`${ESC}1mbold${ESC}22m`)).toBe(4);
  });
});
