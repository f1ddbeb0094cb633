import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** The shared folder beside the project (upstream Istio data, scenarios); absent in a plain clone. */
export const SHARED_DIR = path.resolve(process.cwd(), "../shared");
export const SHARED_AVAILABLE = existsSync(SHARED_DIR);

if (!SHARED_AVAILABLE) {
  console.warn(`NOTICE: ${SHARED_DIR} is absent: tests on the shared scenarios are skipped (Istio's data is vendored in test/fixtures/upstream).`);
}

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}

export function readSharedJson(...parts: string[]): unknown {
  return JSON.parse(readFileSync(sharedPath(...parts), "utf8"));
}

export function readSharedText(...parts: string[]): string {
  return readFileSync(sharedPath(...parts), "utf8");
}

// protojson (istioctl) writes field names in camelCase but leaves the keys of Struct and map values
// as they are: the keys under these fields are data, not field names.
const DATA_KEYED_FIELDS = new Set(["match", "filter_metadata", "typed_filter_metadata", "map"]);

/** The camelCase spelling istioctl prints for a snake_case Envoy admin dump. */
export function toProtoJson(value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => toProtoJson(v));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const name = keepKeys || key.startsWith("@") ? key : key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    out[name] = DATA_KEYED_FIELDS.has(key) && !keepKeys ? toProtoJson(inner, true) : toProtoJson(inner);
  }
  return out;
}
