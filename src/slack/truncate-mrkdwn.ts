/**
 * Cuts escaped mrkdwn to at most `max` characters, the last of them `suffix`, never inside an entity
 * (`&amp;`, `&lt;`, `&gt;`) or a surrogate pair. Every `&` of escaped text starts an entity.
 */
export function truncateMrkdwn(escaped: string, max: number, suffix = "…"): string {
  if (escaped.length <= max) return escaped;
  if (suffix.length >= max) return suffix.slice(0, Math.max(0, max));
  let head = escaped.slice(0, max - suffix.length).replace(/&[a-z]{0,3}$/, "");
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return head + suffix;
}
