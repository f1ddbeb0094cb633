// The small part of Block Kit the renderers use, and Slack's limits for it. Renderers lay their
// content out within these limits themselves; slackMessage() is the net that guarantees a message
// Slack accepts even if a renderer got its budget wrong.
import { truncateMrkdwn } from "./truncate-mrkdwn.js";

/** mrkdwn text, always verbatim: Slack must not turn bare names into links or mentions. */
export interface MrkdwnText {
  type: "mrkdwn";
  text: string;
  verbatim: true;
}

export interface PlainText {
  type: "plain_text";
  text: string;
  emoji: true;
}

export interface HeaderBlock {
  type: "header";
  text: PlainText;
}

export interface SectionBlock {
  type: "section";
  text?: MrkdwnText;
  fields?: MrkdwnText[];
}

export interface ContextBlock {
  type: "context";
  elements: MrkdwnText[];
}

export interface DividerBlock {
  type: "divider";
}

export type Block = HeaderBlock | SectionBlock | ContextBlock | DividerBlock;

/** What chat.postMessage / chat.update take: blocks, and `text` for notifications and fallbacks. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export interface MessageLimits {
  blocks: number;
  sectionText: number;
  headerText: number;
  fields: number;
  fieldText: number;
  contextElements: number;
  contextText: number;
  /** Length of the blocks as JSON. */
  blocksJson: number;
  fallbackText: number;
}

export const SLACK_LIMITS: Readonly<MessageLimits> = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  // msg_blocks_too_long comes well before 50 × 3,000: it has been seen at about 13,000 characters.
  blocksJson: 11_000,
  // chat.postMessage accepts far more, but the fallback only has to serve notifications.
  fallbackText: 3000,
};

/** Section text the renderers aim for: under Slack's 3,000 with room for a closing line. */
export const SECTION_BUDGET = 2900;

export function mrkdwn(text: string): MrkdwnText {
  return { type: "mrkdwn", text, verbatim: true };
}

/** Plain text is not parsed, but `<`, `>` and `&` are still kept out so that no header can carry markup. */
export function header(text: string): HeaderBlock {
  const plain = text.replace(/</g, "‹").replace(/>/g, "›").replace(/&/g, "＆");
  return { type: "header", text: { type: "plain_text", text: truncateMrkdwn(plain, SLACK_LIMITS.headerText), emoji: true } };
}

export function section(text: string): SectionBlock {
  return { type: "section", text: mrkdwn(text) };
}

export function fieldsSection(fields: readonly string[]): SectionBlock {
  return { type: "section", fields: fields.map(mrkdwn) };
}

export function context(...texts: string[]): ContextBlock {
  return { type: "context", elements: texts.map(mrkdwn) };
}

export function divider(): DividerBlock {
  return { type: "divider" };
}

function fitText(text: MrkdwnText, max: number): MrkdwnText {
  return mrkdwn(text.text === "" ? "-" : truncateMrkdwn(text.text, max));
}

function fitBlock(block: Block): Block {
  switch (block.type) {
    case "header":
      return header(block.text.text === "" ? "-" : block.text.text);
    case "section": {
      const out: SectionBlock = { type: "section" };
      if (block.text) out.text = fitText(block.text, SLACK_LIMITS.sectionText);
      if (block.fields) out.fields = block.fields.slice(0, SLACK_LIMITS.fields).map((f) => fitText(f, SLACK_LIMITS.fieldText));
      if (!out.text && (out.fields?.length ?? 0) === 0) out.text = mrkdwn("-");
      return out;
    }
    case "context":
      return {
        type: "context",
        elements: (block.elements.length > 0 ? block.elements : [mrkdwn("-")])
          .slice(0, SLACK_LIMITS.contextElements)
          .map((e) => fitText(e, SLACK_LIMITS.contextText)),
      };
    case "divider":
      return block;
  }
}

function cutNotice(count: number): ContextBlock {
  return context(`… ${count} more block(s) did not fit in one Slack message`);
}

/** Builds a message that Slack accepts: every text and the whole within SLACK_LIMITS. */
export function slackMessage(fallback: string, blocks: readonly Block[]): SlackMessage {
  const fitted = blocks.map(fitBlock);
  const withNotice = (n: number): Block[] => (n >= fitted.length ? fitted : [...fitted.slice(0, n), cutNotice(fitted.length - n)]);
  let keep = Math.min(fitted.length, fitted.length > SLACK_LIMITS.blocks ? SLACK_LIMITS.blocks - 1 : fitted.length);
  while (keep > 0 && JSON.stringify(withNotice(keep)).length > SLACK_LIMITS.blocksJson) keep -= 1;
  const text = fallback.trim() === "" ? "mtls-doctor" : truncateMrkdwn(fallback, SLACK_LIMITS.fallbackText);
  return { text, blocks: withNotice(keep) };
}
