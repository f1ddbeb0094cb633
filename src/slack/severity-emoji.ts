import type { Severity } from "../checks/codes.js";
import type { FixRisk } from "../checks/finding.js";

export type Verdict = "ok" | Severity;

/** One emoji per verdict, the same everywhere: parent message, summary, finding replies. */
export const SEVERITY_EMOJI: Readonly<Record<Verdict, string>> = {
  ok: "✅",
  info: "ℹ️",
  warning: "⚠️",
  critical: "🔴",
};

export const RISK_EMOJI: Readonly<Record<FixRisk, string>> = {
  low: "🟢",
  medium: "🟡",
  high: "🔴",
};

export function severityEmoji(verdict: Verdict): string {
  return SEVERITY_EMOJI[verdict];
}
