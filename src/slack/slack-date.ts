import { escapeMrkdwn } from "./escape-mrkdwn.js";

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * A time each reader sees in their own time zone (Slack's `<!date^…>`), with a UTC fallback for
 * clients that cannot format it. `format` uses Slack's tokens ({date_short_pretty}, {time}, {ago}…).
 */
export function slackDate(date: Date, format = "{date_short_pretty} at {time}"): string {
  if (Number.isNaN(date.getTime())) return "an unknown time";
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^${escapeMrkdwn(format).replace(/[|^]/g, "")}|${utc(date)}>`;
}

/** The same time as plain text, for fallbacks and files. */
export function utcTime(date: Date): string {
  return Number.isNaN(date.getTime()) ? "an unknown time" : utc(date);
}
