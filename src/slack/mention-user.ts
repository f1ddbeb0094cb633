import { escapeMrkdwn } from "./escape-mrkdwn.js";

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/** `<@U123>` for a Slack user ID; anything else is shown as escaped text, never as markup. */
export function mentionUser(userId: string): string {
  return USER_ID.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}
