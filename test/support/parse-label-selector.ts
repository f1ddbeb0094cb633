import { KubeStatusError } from "./kube-status-error.js";

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

type Requirement =
  | { op: "=" | "!="; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "!exists"; key: string };

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const VALUE = String.raw`[-A-Za-z0-9_.]*`;
const SET = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^)]*)\)$`);
const EQUALITY = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const EXISTS = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

/**
 * Parses a Kubernetes label selector (`a=b,c!=d,e in (f,g),h notin (i),j,!k`) into a matcher.
 * A selector that does not parse is a 400, as on a real server.
 */
export function parseLabelSelector(selector: string): LabelMatcher {
  const requirements = splitTopLevel(selector).map(parseRequirement);
  return (labels) => requirements.every((r) => matches(r, labels ?? {}));
}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function parseRequirement(text: string): Requirement {
  const set = SET.exec(text);
  if (set) {
    const values = (set[3] ?? "").split(",").map((v) => v.trim());
    if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v))) throw invalid(text);
    return { op: set[2] as "in" | "notin", key: set[1] ?? "", values };
  }
  const equality = EQUALITY.exec(text);
  if (equality) {
    return { op: equality[2] === "!=" ? "!=" : "=", key: equality[1] ?? "", value: equality[3] ?? "" };
  }
  const exists = EXISTS.exec(text);
  if (exists) return { op: exists[1] === "!" ? "!exists" : "exists", key: exists[2] ?? "" };
  throw invalid(text);
}

function matches(requirement: Requirement, labels: Record<string, string>): boolean {
  const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
  switch (requirement.op) {
    case "=":
      return value === requirement.value;
    case "!=":
      return value !== requirement.value;
    case "in":
      return value !== undefined && requirement.values.includes(value);
    case "notin":
      return value === undefined || !requirement.values.includes(value);
    case "exists":
      return value !== undefined;
    case "!exists":
      return value === undefined;
  }
}

function invalid(text: string): KubeStatusError {
  return KubeStatusError.badRequest(`unable to parse requirement: ${JSON.stringify(text)}: found unexpected token`);
}
