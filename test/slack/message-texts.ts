import type { SlackMessage } from "../../src/slack/slack-message.js";

/** Every string of a message that Slack shows or parses: the fallback text and each block's texts. */
export function messageTexts(message: SlackMessage): string[] {
  const texts = [message.text];
  for (const block of message.blocks) {
    switch (block.type) {
      case "header":
        texts.push(block.text.text);
        break;
      case "section":
        if (block.text) texts.push(block.text.text);
        for (const f of block.fields ?? []) texts.push(f.text);
        break;
      case "context":
        for (const e of block.elements) texts.push(e.text);
        break;
      case "divider":
        break;
    }
  }
  return texts;
}

/** All the text of a message as one string, for `toContain` checks. */
export function messageText(message: SlackMessage): string {
  return messageTexts(message).join("\n");
}
