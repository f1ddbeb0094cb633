/** What replaces key material in everything mtls-doctor writes (Envoy prints the same for its own keys). */
export const REDACTED = "[redacted]";

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
/** Envoy / istioctl fields whose value is, or carries, secret key material (snake_case and camelCase). */
const KEY_FIELDS = new Set([
  "private_key",
  "privateKey",
  "pkcs12",
  "password",
  "generic_secret",
  "genericSecret",
  "session_ticket_keys",
  "sessionTicketKeys",
]);
const INLINE_FIELDS = ["inline_bytes", "inlineBytes", "inline_string", "inlineString"];

/** Replaces PEM private key blocks in free text (logs, annotations, ConfigMap data). */
export function redactText(text: string): string {
  return text.replace(PEM_PRIVATE_KEY, REDACTED);
}

/**
 * A copy of a config dump (raw snake_case or istioctl camelCase) with private key material removed:
 * inline bytes/strings under `private_key`, `pkcs12`, `password`, generic secrets and session ticket
 * keys become "[redacted]" (file and SDS references stay), and any PEM private key in a string
 * anywhere is replaced.
 */
export function redactConfigDump(dump: unknown): unknown {
  return walk(dump, false);
}

/** A copy of a Kubernetes object without `managedFields` and with PEM private keys in strings replaced. */
export function redactObject<T>(obj: T): T {
  return walk(obj, false, true) as T;
}

function walk(value: unknown, underKeyField: boolean, dropManagedFields = false): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, underKeyField, dropManagedFields));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (dropManagedFields && key === "managedFields") continue;
    if (KEY_FIELDS.has(key)) {
      out[key] = redactKeyField(child);
    } else if (underKeyField && INLINE_FIELDS.includes(key)) {
      out[key] = REDACTED;
    } else {
      out[key] = walk(child, underKeyField, dropManagedFields);
    }
  }
  return out;
}

/** A key field holds a DataSource (`{ inline_bytes }`, `{ filename }`, ...) or, in odd dumps, the bytes themselves. */
function redactKeyField(value: unknown): unknown {
  if (typeof value === "string") return REDACTED;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return walk(value, true);
}
