import { CODES, type Code, type Severity } from "./codes.js";

export type FixRisk = "low" | "medium" | "high";

export interface Fix {
  title: string;
  risk: FixRisk;
  /** The objects to apply (server-side apply), as YAML documents. */
  yaml: string;
  /** Every object it touches, as `Kind ns/name`. */
  targets: string[];
  /** True when the fix is shown for a person to apply by hand (deletions, merges): never applied by the bot. */
  manual?: boolean;
  /**
   * The command that applies it by hand where server-side apply is not the way (a deletion, a field
   * to remove), `<file>` standing for its YAML file; the same words in the YAML's note and in Slack.
   */
  byHand?: string;
}

/** How a person applies a fix the way the bot would: server-side apply under the bot's field manager. */
export const SERVER_SIDE_APPLY_BY_HAND = "kubectl apply --server-side --field-manager=mtls-doctor -f <file>";

/** The command a person runs to apply a fix, for its file. */
export function byHandCommand(fix: Fix, filename: string): string {
  return (fix.byHand ?? SERVER_SIDE_APPLY_BY_HAND).replaceAll("<file>", filename);
}

export interface Finding {
  code: Code;
  name: string;
  severity: Severity;
  resource: string;
  message: string;
  evidence: string[];
  upstreamCode?: string;
  /**
   * The target Service ports the finding is about, where it is about some and not the whole path: what
   * lets counts the proxies observed on a port join the configuration finding that explains them.
   */
  ports?: number[];
  fixes: Fix[];
}

export type MessageParams = Record<string, string | number>;

export class FindingTemplateError extends Error {
  override readonly name = "FindingTemplateError";
}

/** Fills a code's template. A placeholder without a parameter is a programming error and throws. */
export function formatMessage(code: Code, params: MessageParams): string {
  return CODES[code].template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new FindingTemplateError(`${code}: no value for {${key}}`);
    return String(value);
  });
}

export interface FindingInput {
  resource: string;
  params: MessageParams;
  evidence?: string[];
  fixes?: Fix[];
  upstreamCode?: string;
  ports?: readonly number[];
  /** Only for MTLS903, whose severity is istioctl's. */
  severity?: Severity;
}

/** The one way to build a finding: name, severity and message all come from the codes table. */
export function newFinding(code: Code, input: FindingInput): Finding {
  const entry = CODES[code];
  if (input.severity !== undefined && code !== "MTLS903") {
    throw new FindingTemplateError(`${code} has a fixed severity`);
  }
  const finding: Finding = {
    code,
    name: entry.name,
    severity: input.severity ?? entry.severity,
    resource: input.resource,
    message: formatMessage(code, input.params),
    evidence: input.evidence ?? [],
    fixes: input.fixes ?? [],
  };
  if (input.upstreamCode !== undefined) finding.upstreamCode = input.upstreamCode;
  if (input.ports !== undefined && input.ports.length > 0) finding.ports = [...new Set(input.ports)].sort((a, b) => a - b);
  return finding;
}
