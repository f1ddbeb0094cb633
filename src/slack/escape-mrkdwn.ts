// Text from users and from the cluster (service names, policy names, log lines, istioctl messages)
// reaches Slack as mrkdwn. Slack parses `<...>` as links and mentions (`<!channel>`, `<@U123>`,
// `<https://evil|click>`) and decodes `&...;` entities, so those three characters are always escaped.

/** Control characters (other than tab and newline) can hide text or corrupt a message; log lines carry ANSI escapes. */
function withoutControlCharacters(raw: string): string {
  let out = "";
  for (const ch of raw) {
    const code = ch.codePointAt(0) ?? 0;
    if ((code < 0x20 && ch !== "\n" && ch !== "\t") || code === 0x7f) continue;
    out += ch;
  }
  return out;
}

/** A bare `@here` becomes a mention wherever a caller turns on `link_names`; a zero-width space keeps it text. */
const BROADCAST = /@(channel|here|everyone)\b/gi;

/** Escapes text for a mrkdwn text object or a message's fallback `text`. */
export function escapeMrkdwn(raw: string): string {
  return withoutControlCharacters(raw)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(BROADCAST, "@\u200b$1");
}

/** A backtick inside a code span or block would close it early; U+02CB looks the same and closes nothing. */
function neutraliseBackticks(escaped: string): string {
  return escaped.replace(/`/g, "\u02cb");
}

/** Inline code: escaped, on one line, with backticks neutralised. */
export function codeSpan(raw: string): string {
  const inner = neutraliseBackticks(escapeMrkdwn(raw)).replace(/[\r\n]+/g, " ");
  return `\`${inner === "" ? " " : inner}\``;
}

/** Escapes one line for use inside a code block (the caller adds the fences). */
export function escapeCodeLine(raw: string): string {
  return neutraliseBackticks(escapeMrkdwn(raw)).replace(/[\r\n]+/g, " ");
}

/** A fenced code block of already escaped lines (see escapeCodeLine). */
export function codeBlock(escapedLines: readonly string[]): string {
  return `\`\`\`\n${escapedLines.join("\n")}\n\`\`\``;
}
