import { truncateMrkdwn } from "./truncate-mrkdwn.js";

export interface FitLinesOptions {
  maxChars: number;
  maxLines?: number;
  /** The last line when some lines do not fit, e.g. `… (3 more, see the attached file)` (escaped). */
  more: (omitted: number) => string;
}

export interface FittedLines {
  text: string;
  shown: number;
  omitted: number;
  /** True when a line had to be shortened to fit at all. */
  shortened: boolean;
}

/**
 * Joins escaped lines under a character budget and a line cap. When some do not fit, a last line says
 * how many were left out, and the result still fits the budget.
 */
export function fitLines(lines: readonly string[], options: FitLinesOptions): FittedLines {
  const maxLines = options.maxLines ?? Number.POSITIVE_INFINITY;
  const whole = lines.join("\n");
  if (lines.length <= maxLines && whole.length <= options.maxChars) {
    return { text: whole, shown: lines.length, omitted: 0, shortened: false };
  }
  if (lines.length === 1) {
    return { text: truncateMrkdwn(whole, options.maxChars), shown: 1, omitted: 0, shortened: true };
  }
  // Some lines will be left out: keep room for the line that says so.
  const budget = options.maxChars - options.more(lines.length).length - 1;
  const kept: string[] = [];
  let length = 0;
  let shortened = false;
  for (const line of lines) {
    const added = (kept.length > 0 ? 1 : 0) + line.length;
    if (kept.length >= maxLines) break;
    if (length + added > budget) {
      if (kept.length === 0 && budget > 0) {
        kept.push(truncateMrkdwn(line, budget));
        shortened = true;
      }
      break;
    }
    kept.push(line);
    length += added;
  }
  const omitted = lines.length - kept.length;
  return { text: [...kept, options.more(omitted)].join("\n"), shown: kept.length, omitted, shortened };
}
