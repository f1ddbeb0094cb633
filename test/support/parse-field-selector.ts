import { KubeStatusError } from "./kube-status-error.js";

export type FieldMatcher = (obj: unknown) => boolean;

/** Fields every kind can be selected on. */
export const COMMON_SELECTABLE_FIELDS: readonly string[] = ["metadata.name", "metadata.namespace"];

/**
 * Parses a field selector (`metadata.name=x,status.phase!=Running`) for a kind that supports the given
 * fields. An unsupported field is a 400, as on a real server; an absent field reads as "".
 */
export function parseFieldSelector(selector: string, selectableFields: readonly string[]): FieldMatcher {
  const terms = selector
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .map((term) => {
      const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!match) throw KubeStatusError.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
      const [, field = "", op, value = ""] = match;
      if (!selectableFields.includes(field)) throw KubeStatusError.badRequest(`field label not supported: ${field}`);
      return { path: field.split("."), negate: op === "!=", value };
    });
  return (obj) => terms.every((t) => (fieldValue(obj, t.path) === t.value) !== t.negate);
}

function fieldValue(obj: unknown, path: string[]): string {
  let current: unknown = obj;
  for (const key of path) {
    if (current === null || typeof current !== "object") return "";
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === "string") return current;
  if (typeof current === "number" || typeof current === "boolean") return String(current);
  return "";
}
