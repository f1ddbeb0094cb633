/**
 * A file name part made only of `a-z`, `0-9`, `.` and `-`, with no `..`, no leading or trailing dot
 * or dash, at most `max` characters: names from the cluster can hold anything.
 */
export function safeFileStem(text: string, max = 80): string {
  const trim = (s: string) => s.replace(/^[-.]+|[-.]+$/g, "");
  const stem = trim(
    text
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, "-")
      .replace(/\.{2,}/g, "."),
  );
  return trim(stem.slice(0, max));
}
