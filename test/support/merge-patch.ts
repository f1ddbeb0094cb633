/**
 * JSON merge patch (RFC 7386): objects merge key by key, `null` removes a key, anything else (arrays
 * included) replaces. The fake uses it for merge-patch, strategic-merge-patch (which differs only in
 * how it merges lists of named items) and server-side apply (which differs in field ownership).
 * Returns a new value; neither argument is changed.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = mergePatch(result[key], value);
    }
  }
  return result;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
