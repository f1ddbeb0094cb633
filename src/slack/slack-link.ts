import { escapeMrkdwn } from "./escape-mrkdwn.js";

const SAFE_URL = /^https:\/\/[^\s<>|]+$/;

/** A link for an https URL we were given (a permalink); the label alone for anything else. */
export function slackLink(url: string | undefined, label: string): string {
  const text = escapeMrkdwn(label).replace(/\|/g, "¦");
  if (url === undefined || !SAFE_URL.test(url)) return text;
  return `<${url.replace(/&/g, "&amp;")}|${text}>`;
}
