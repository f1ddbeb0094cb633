import { SLACK_LIMITS, type Block, type MessageLimits, type MrkdwnText, type SlackMessage } from "./slack-message.js";

function textProblems(where: string, text: MrkdwnText | { text: string }, max: number): string[] {
  if (text.text.length === 0) return [`${where}: empty text`];
  if (text.text.length > max) return [`${where}: ${text.text.length} characters, more than ${max}`];
  return [];
}

function blockProblems(block: Block, i: number, limits: MessageLimits): string[] {
  const where = `block ${i} (${block.type})`;
  switch (block.type) {
    case "header":
      return textProblems(where, block.text, limits.headerText);
    case "section": {
      const problems: string[] = [];
      if (!block.text && (block.fields?.length ?? 0) === 0) problems.push(`${where}: neither text nor fields`);
      if (block.text) problems.push(...textProblems(where, block.text, limits.sectionText));
      const fields = block.fields ?? [];
      if (fields.length > limits.fields) problems.push(`${where}: ${fields.length} fields, more than ${limits.fields}`);
      fields.forEach((f, j) => problems.push(...textProblems(`${where} field ${j}`, f, limits.fieldText)));
      return problems;
    }
    case "context": {
      const problems: string[] = [];
      if (block.elements.length === 0 || block.elements.length > limits.contextElements) {
        problems.push(`${where}: ${block.elements.length} elements, not 1 to ${limits.contextElements}`);
      }
      block.elements.forEach((e, j) => problems.push(...textProblems(`${where} element ${j}`, e, limits.contextText)));
      return problems;
    }
    case "divider":
      return [];
  }
}

/**
 * What in a message Slack would refuse (too many blocks, a text too long, blocks too long as a whole),
 * one line per problem; empty when the message is fine. Stricter limits can be passed.
 */
export function messageLimitProblems(message: SlackMessage, limits: Partial<MessageLimits> = {}): string[] {
  const l: MessageLimits = { ...SLACK_LIMITS, ...limits };
  const problems: string[] = [];
  if (message.blocks.length > l.blocks) problems.push(`${message.blocks.length} blocks, more than ${l.blocks}`);
  message.blocks.forEach((b, i) => problems.push(...blockProblems(b, i, l)));
  const json = JSON.stringify(message.blocks).length;
  if (json > l.blocksJson) problems.push(`blocks are ${json} characters as JSON, more than ${l.blocksJson}`);
  problems.push(...textProblems("fallback text", { text: message.text }, l.fallbackText));
  return problems;
}
