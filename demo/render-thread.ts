// Turns a Slack thread (messages with Block Kit blocks, and uploaded files) into terminal text that
// reads like the Slack client shows it. Pure: no I/O, no clock, no environment; the caller says
// whether to use colour and how wide the terminal is.
//
// Only what mtls-doctor posts needs to look good (header, section, context, divider, mrkdwn with
// bold, italics, code spans, code blocks, links, mentions, dates and a few emoji); anything else is
// shown as a short placeholder rather than dropped silently.

/** A file as a message carries it (what `files.completeUploadExternal` shared). */
export interface ThreadFileRef {
  id: string;
  name?: string;
  title?: string;
}

/** A message as the channel shows it now. */
export interface ThreadMessage {
  /** The fallback text; shown only when there are no blocks. */
  text?: string;
  /** Block Kit blocks as Slack received them (JSON, so checked here rather than trusted). */
  blocks?: readonly unknown[];
  files?: readonly ThreadFileRef[];
  /** Whether `chat.update` changed it. */
  edited?: boolean;
}

/** An uploaded file's bytes, as text. */
export interface ThreadFile {
  name: string;
  title?: string;
  content: string;
}

export interface Thread {
  /** Channel name without `#`. */
  channel: string;
  /** Who posted (the bot's name). */
  author: string;
  parent: ThreadMessage;
  replies: readonly ThreadMessage[];
  /** Uploaded files by id. */
  files: Readonly<Record<string, ThreadFile>>;
}

export interface RenderOptions {
  /** ANSI colours and styles; without them, mrkdwn markers are simply dropped. */
  color: boolean;
  /** Terminal columns to wrap text at. */
  width: number;
  /** Lines of an uploaded file shown before the rest is cut (default 30). */
  maxFileLines?: number;
  /** Slack user id → name, for `<@U…>` mentions. */
  users?: Readonly<Record<string, string>>;
}

const DEFAULT_MAX_FILE_LINES = 30;
const MIN_WIDTH = 30;
const MESSAGE_INDENT = "  ";
const CODE_INDENT = "    ";

// ---------------------------------------------------------------------------------------------
// Styles

interface Styles {
  bold(text: string): string;
  dim(text: string): string;
  italic(text: string): string;
  strike(text: string): string;
  underline(text: string): string;
  code(text: string): string;
}

const ESC = "\u001b[";

function sgr(on: number, off: number): (text: string) => string {
  return (text) => (text === "" ? "" : `${ESC}${on}m${text}${ESC}${off}m`);
}

const COLOR_STYLES: Styles = {
  bold: sgr(1, 22),
  // Bold and dim share their "off" code: re-enter dim after anything bold inside a dim line.
  dim: (text) => (text === "" ? "" : `${ESC}2m${text.replaceAll(`${ESC}22m`, `${ESC}22m${ESC}2m`)}${ESC}22m`),
  italic: sgr(3, 23),
  strike: sgr(9, 29),
  underline: sgr(4, 24),
  code: sgr(36, 39),
};

const identity = (text: string): string => text;

const PLAIN_STYLES: Styles = { bold: identity, dim: identity, italic: identity, strike: identity, underline: identity, code: identity };

function stylesFor(options: RenderOptions): Styles {
  return options.color ? COLOR_STYLES : PLAIN_STYLES;
}

// ---------------------------------------------------------------------------------------------
// Text safety and width

/**
 * Text from Slack messages and files reaches the terminal: control characters (an ESC from a
 * cluster's log line, say) could move the cursor or recolour the screen, so they go before any
 * styling of ours is added. Tabs become spaces; newlines stay.
 */
export function stripControlCharacters(raw: string): string {
  let out = "";
  for (const ch of raw.replace(/\r\n?/g, "\n")) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\t") out += "  ";
    else if (ch === "\n") out += ch;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) continue;
    else out += ch;
  }
  return out;
}

/** An SGR sequence (built from ESC: a control character in a regex literal is too easy to misread). */
const ANSI_SEQUENCE = new RegExp(`${ESC.replace("[", "\\[")}[0-9;]*m`, "g");

function isZeroWidth(code: number): boolean {
  return (code >= 0x200b && code <= 0x200d) || code === 0x2060 || (code >= 0xfe00 && code <= 0xfe0f) || (code >= 0x0300 && code <= 0x036f);
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1f000 && code <= 0x1faff) ||
    (code >= 0x2600 && code <= 0x27bf) ||
    (code >= 0x23e9 && code <= 0x23fa) ||
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6)
  );
}

/** Columns a string takes in a terminal: ANSI styles take none, emoji and wide characters two (roughly, as terminals do). */
export function visibleWidth(text: string): number {
  const chars = [...text.replace(ANSI_SEQUENCE, "")];
  let width = 0;
  for (const [i, ch] of chars.entries()) {
    const code = ch.codePointAt(0) ?? 0;
    if (isZeroWidth(code)) continue;
    // A text-style symbol followed by VS16 (ℹ️, ⚠️) is drawn as a two-column emoji.
    const emojiPresentation = chars[i + 1] === "\ufe0f";
    width += isWide(code) || emojiPresentation ? 2 : 1;
  }
  return width;
}

/** SGR parameters that turn a style on, and the one that turns each off. */
const STYLE_OFF: Readonly<Record<string, string>> = { "1": "22", "2": "22", "3": "23", "4": "24", "9": "29", "36": "39" };
const ANSI_ONE = new RegExp(`${ESC.replace("[", "\\[")}([0-9;]*)m`, "g");

/** The styles still on after `text`, given those on before it (in the order they were turned on). */
function stylesAfter(text: string, before: readonly string[]): string[] {
  let active = [...before];
  for (const match of text.matchAll(ANSI_ONE)) {
    for (const code of (match[1] ?? "").split(";")) {
      if (code === "" || code === "0") active = [];
      else if (STYLE_OFF[code] !== undefined) active = [...active.filter((c) => c !== code), code];
      else active = active.filter((c) => STYLE_OFF[c] !== code);
    }
  }
  return active;
}

/**
 * Greedy word wrap at `width` columns. Newlines in the text are kept; a bullet line (`• `, `- `)
 * continues under its text; a word longer than the line (a URL) is left whole. A style that spans
 * a break is closed at the end of the line and opened again after the next line's indentation, so
 * that every line stands alone (the caller indents it, a terminal may cut it).
 */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  const limit = Math.max(10, width);
  let active: string[] = [];
  for (const line of text.split("\n")) {
    const lead = /^ */.exec(line)?.[0] ?? "";
    const bullet = /^\s*(?:[•◦▪-]|\d+\.)\s+/.exec(line.replace(ANSI_SEQUENCE, ""))?.[0];
    const hang = " ".repeat(bullet !== undefined ? visibleWidth(bullet) : lead.length);
    const reopen = () => (active.length > 0 ? `${ESC}${active.join(";")}m` : "");
    const close = () => (active.length > 0 ? `${ESC}0m` : "");
    let current = `${lead}${reopen()}`;
    let currentWidth = lead.length;
    let empty = true;
    for (const word of line.slice(lead.length).split(" ")) {
      const w = visibleWidth(word);
      if (empty || currentWidth + 1 + w <= limit) {
        current += empty ? word : ` ${word}`;
        currentWidth += empty ? w : 1 + w;
        empty = false;
      } else {
        out.push(`${current.trimEnd()}${close()}`);
        current = `${hang}${reopen()}${word}`;
        currentWidth = hang.length + w;
      }
      active = stylesAfter(word, active);
    }
    out.push(`${current.trimEnd()}${close()}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// mrkdwn

const EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: "✅",
  heavy_check_mark: "✔️",
  x: "❌",
  warning: "⚠️",
  rewind: "⏪",
  red_circle: "🔴",
  large_green_circle: "🟢",
  large_yellow_circle: "🟡",
  information_source: "ℹ️",
  hourglass_flowing_sand: "⏳",
  wrench: "🔧",
  hammer_and_wrench: "🛠️",
  rotating_light: "🚨",
  tada: "🎉",
  thumbsup: "👍",
  "+1": "👍",
  eyes: "👀",
  link: "🔗",
  paperclip: "📎",
  lock: "🔒",
  unlock: "🔓",
};

/** `&lt;`, `&gt;` and `&amp;` back to the characters (`&amp;` last, so `&amp;lt;` stays `&lt;`). */
export function unescapeEntities(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojify(text: string): string {
  return text.replace(/:([a-z0-9_+'-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
}

function labelOf(inner: string): string | undefined {
  const bar = inner.indexOf("|");
  return bar >= 0 ? inner.slice(bar + 1) : undefined;
}

/** What a `<…>` token shows: a link's label, a mention's name, a date's text. */
function renderAngle(inner: string, styles: Styles, options: RenderOptions): string {
  const label = labelOf(inner);
  const target = label === undefined ? inner : inner.slice(0, inner.indexOf("|"));
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return styles.bold(`@${options.users?.[id] ?? label ?? id}`);
  }
  if (target.startsWith("#")) return styles.bold(`#${label ?? target.slice(1)}`);
  if (target.startsWith("!")) {
    const [command, second] = target.slice(1).split("^");
    if (command === "date") {
      if (label !== undefined) return unescapeEntities(label);
      const seconds = Number(second);
      return Number.isFinite(seconds) ? `${new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC` : "a date";
    }
    if (command === "subteam") return styles.bold(unescapeEntities(label ?? "@group"));
    if (command === "here" || command === "channel" || command === "everyone") return styles.bold(`@${command}`);
    return unescapeEntities(label ?? target.slice(1));
  }
  return styles.underline(unescapeEntities(label ?? target));
}

const OPEN = "\ue000";
const CLOSE = "\ue001";
const PLACEHOLDER = new RegExp(`${OPEN}(\\d+)${CLOSE}`, "g");

// Emphasis markers, as Slack reads them: not inside a word, not next to a space on the inside.
const BOLD = /(^|[^\p{L}\p{N}*])\*(?!\s)([^*\n]*?[^\s*])\*(?![\p{L}\p{N}*])/gu;
const ITALIC = /(^|[^\p{L}\p{N}_])_(?!\s)([^_\n]*?[^\s_])_(?![\p{L}\p{N}_])/gu;
const STRIKE = /(^|[^\p{L}\p{N}~])~(?!\s)([^~\n]*?[^\s~])~(?![\p{L}\p{N}~])/gu;

/**
 * One stretch of mrkdwn (no code blocks in it) as terminal text: `*bold*`, `_italic_`, `~strike~`,
 * code spans kept with their backticks, links and mentions by their label, dates by their fallback,
 * emoji shortcodes as emoji, and the three escaped characters back as themselves.
 */
export function renderInline(mrkdwn: string, options: RenderOptions): string {
  const styles = stylesFor(options);
  const kept: string[] = [];
  const keep = (rendered: string) => `${OPEN}${kept.push(rendered) - 1}${CLOSE}`;
  let text = stripControlCharacters(mrkdwn).replace(/[\ue000\ue001]/g, "");
  // Code spans first: nothing inside them is formatting.
  text = text.replace(/`([^`\n]+)`/g, (_whole, inner: string) => keep(styles.code(`\`${unescapeEntities(inner)}\``)));
  text = text.replace(/<([^<>\n]+)>/g, (_whole, inner: string) => keep(renderAngle(inner, styles, options)));
  text = text.replace(BOLD, (_whole, before: string, inner: string) => `${before}${styles.bold(inner)}`);
  text = text.replace(ITALIC, (_whole, before: string, inner: string) => `${before}${styles.italic(inner)}`);
  text = text.replace(STRIKE, (_whole, before: string, inner: string) => `${before}${styles.strike(inner)}`);
  text = unescapeEntities(emojify(text));
  return text.replace(PLACEHOLDER, (_whole, index: string) => kept[Number(index)] ?? "");
}

/** A run of wrapped prose, or a code block kept line for line. */
type Piece = { kind: "text"; text: string } | { kind: "code"; lines: string[] };

function splitCodeBlocks(mrkdwn: string): Piece[] {
  const pieces: Piece[] = [];
  const fence = /```([\s\S]*?)```/g;
  let last = 0;
  for (const match of mrkdwn.matchAll(fence)) {
    const before = mrkdwn.slice(last, match.index).replace(/\n$/, "");
    if (before.trim() !== "") pieces.push({ kind: "text", text: before });
    const body = (match[1] ?? "").replace(/^\n/, "").replace(/\n$/, "");
    pieces.push({ kind: "code", lines: body.split("\n") });
    last = match.index + match[0].length;
  }
  const rest = mrkdwn.slice(last).replace(/^\n/, "");
  if (rest.trim() !== "" || pieces.length === 0) pieces.push({ kind: "text", text: rest });
  return pieces;
}

/** A mrkdwn text as terminal lines `width` wide: prose wrapped, code blocks indented and never wrapped. */
export function renderMrkdwn(mrkdwn: string, options: RenderOptions, width = options.width): string[] {
  const styles = stylesFor(options);
  const lines: string[] = [];
  for (const piece of splitCodeBlocks(mrkdwn)) {
    if (piece.kind === "text") lines.push(...wrapText(renderInline(piece.text, options), width));
    else for (const line of piece.lines) lines.push(`${CODE_INDENT}${styles.code(unescapeEntities(stripControlCharacters(line)))}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Blocks

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[key];
  return typeof field === "string" ? field : undefined;
}

/** A text object as terminal lines: mrkdwn rendered, plain text only wrapped (Slack does not format it, apart from emoji). */
function renderTextObject(value: unknown, options: RenderOptions, width: number): string[] | undefined {
  const text = stringField(value, "text");
  if (text === undefined) return undefined;
  if (stringField(value, "type") === "plain_text") return wrapText(emojify(stripControlCharacters(text)), width);
  return renderMrkdwn(text, options, width);
}

/** A context element on one line: mrkdwn rendered, plain text as it is, an image by its alt text. */
function renderContextElement(element: unknown, options: RenderOptions): string {
  const text = stringField(element, "text");
  if (text !== undefined) return stringField(element, "type") === "plain_text" ? emojify(stripControlCharacters(text)) : renderInline(text, options);
  const alt = stringField(element, "alt_text");
  return alt === undefined ? "" : `[${stripControlCharacters(alt)}]`;
}

/** One block as terminal lines (without the message's indentation). */
export function renderBlock(block: unknown, options: RenderOptions, width = options.width): string[] {
  const styles = stylesFor(options);
  const type = stringField(block, "type");
  if (!isRecord(block)) return [];
  switch (type) {
    case "header": {
      const text = isRecord(block["text"]) ? stringField(block["text"], "text") : undefined;
      return wrapText(emojify(stripControlCharacters(text ?? "")), width).map((line) => styles.bold(line));
    }
    case "section": {
      const lines = [...(renderTextObject(block["text"], options, width) ?? [])];
      const fields: unknown[] = Array.isArray(block["fields"]) ? block["fields"] : [];
      for (const field of fields) lines.push(...(renderTextObject(field, options, width) ?? []));
      return lines;
    }
    case "context": {
      const elements: unknown[] = Array.isArray(block["elements"]) ? block["elements"] : [];
      const joined = elements.map((element) => renderContextElement(element, options)).filter((part) => part !== "").join("  ");
      return wrapText(joined, width).map((line) => styles.dim(line));
    }
    case "divider":
      return [styles.dim("─".repeat(Math.max(10, Math.min(width, 60))))];
    case "image": {
      const alt = stringField(block, "alt_text") ?? "an image";
      return [styles.dim(`[image: ${stripControlCharacters(alt)}]`)];
    }
    default:
      return [styles.dim(`[${stripControlCharacters(type ?? "unknown")} block]`)];
  }
}

/** An uploaded file: `📎 name (N lines)`, its title when it says more, then the content indented (cut after `maxFileLines`). */
export function renderFile(ref: ThreadFileRef, file: ThreadFile | undefined, options: RenderOptions, width = options.width): string[] {
  const styles = stylesFor(options);
  const name = stripControlCharacters(file?.name ?? ref.name ?? ref.id);
  const title = stripControlCharacters(file?.title ?? ref.title ?? "");
  if (file === undefined) return [`📎 ${styles.bold(name)} ${styles.dim("(its content was not uploaded)")}`];
  const content = stripControlCharacters(file.content).replace(/\n+$/, "");
  const lines = content === "" ? [] : content.split("\n");
  const max = Math.max(1, options.maxFileLines ?? DEFAULT_MAX_FILE_LINES);
  const out = [`📎 ${styles.bold(name)} ${styles.dim(`(${lines.length} line${lines.length === 1 ? "" : "s"})`)}`];
  if (title !== "" && title !== name) out.push(...wrapText(title, width - 3).map((line) => `   ${styles.dim(line)}`));
  for (const line of lines.slice(0, max)) out.push(`${CODE_INDENT}${styles.code(line)}`);
  if (lines.length > max) out.push(`${CODE_INDENT}${styles.dim(`… ${lines.length - max} more line${lines.length - max === 1 ? "" : "s"} (${lines.length} in all)`)}`);
  return out;
}

/** A message's content: its blocks (or its text when it has none), then its files. */
export function renderMessage(message: ThreadMessage, files: Readonly<Record<string, ThreadFile>>, options: RenderOptions, width = options.width): string[] {
  const lines: string[] = [];
  const blocks = message.blocks ?? [];
  if (blocks.length > 0) for (const block of blocks) lines.push(...renderBlock(block, options, width));
  else if (message.text !== undefined && message.text.trim() !== "") lines.push(...renderMrkdwn(message.text, options, width));
  for (const ref of message.files ?? []) lines.push(...renderFile(ref, files[ref.id], options, width));
  return lines;
}

/** The whole thread as a person would read it in Slack: the channel, the parent message, then every reply in order. */
export function renderThread(thread: Thread, options: RenderOptions): string {
  const styles = stylesFor(options);
  const width = Math.max(MIN_WIDTH, Math.floor(options.width));
  const inner = width - MESSAGE_INDENT.length;
  const indent = (lines: readonly string[]) => lines.map((line) => (line === "" ? "" : `${MESSAGE_INDENT}${line}`));
  const author = styles.bold(stripControlCharacters(thread.author));
  const count = thread.replies.length;
  const rule = (label: string) => {
    const head = `━━ ${label} `;
    return styles.bold(`${head}${"━".repeat(Math.max(3, width - visibleWidth(head)))}`);
  };

  const out: string[] = [rule(`#${stripControlCharacters(thread.channel)}`), ""];
  out.push(`${author}${thread.parent.edited === true ? styles.dim("  (edited)") : ""}`);
  out.push(...indent(renderMessage(thread.parent, thread.files, options, inner)));
  out.push(...indent([styles.dim(count === 0 ? "no replies" : `💬 ${count} repl${count === 1 ? "y" : "ies"}`)]));
  if (count > 0) {
    out.push("", rule(`thread: ${count} repl${count === 1 ? "y" : "ies"}`));
    for (const [i, reply] of thread.replies.entries()) {
      out.push("", `${author} ${styles.dim(`· reply ${i + 1} of ${count}`)}`);
      out.push(...indent(renderMessage(reply, thread.files, options, inner)));
    }
  }
  out.push("");
  return out.join("\n");
}
