/** Bad usage or unreadable input: exit code 2, the message on stderr, nothing on stdout. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
