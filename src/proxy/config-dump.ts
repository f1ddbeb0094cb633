// Envoy config dumps come in two spellings: the admin endpoint's snake_case JSON (`pilot-agent request
// GET config_dump`) and istioctl's protojson camelCase (`istioctl proxy-config all -o json`). Rather
// than rewriting a dump of several megabytes into one spelling (which would also corrupt the keys of
// Struct values such as `match: { tlsMode: istio }`, which protojson leaves alone), every read goes
// through `field()`, which tries the snake_case name and then its camelCase twin.

export type JsonObject = Record<string, unknown>;

const camelCache = new Map<string, string>();

function camelCase(snake: string): string {
  let camel = camelCache.get(snake);
  if (camel === undefined) {
    camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    camelCache.set(snake, camel);
  }
  return camel;
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A field of a dump object by its snake_case name, whichever spelling the dump uses. */
export function field(obj: unknown, snakeName: string): unknown {
  if (!isObject(obj)) return undefined;
  const value = obj[snakeName];
  if (value !== undefined) return value;
  return obj[camelCase(snakeName)];
}

/** The object at a path of snake_case names, or undefined when any step is missing or not an object. */
export function objectAt(obj: unknown, ...path: string[]): JsonObject | undefined {
  let current: unknown = obj;
  for (const name of path) current = field(current, name);
  return isObject(current) ? current : undefined;
}

export function arrayAt(obj: unknown, ...path: string[]): unknown[] {
  const last = path.pop();
  const parent = path.length === 0 ? obj : objectAt(obj, ...path);
  const value = last === undefined ? undefined : field(parent, last);
  return Array.isArray(value) ? value : [];
}

export function stringAt(obj: unknown, ...path: string[]): string | undefined {
  const last = path.pop();
  const parent = path.length === 0 ? obj : objectAt(obj, ...path);
  const value = last === undefined ? undefined : field(parent, last);
  return typeof value === "string" ? value : undefined;
}

export type SecretState = "ACTIVE" | "WARMING";

/** One dynamic SDS secret of the proxy. */
export interface DumpSecret {
  name: string;
  state: SecretState;
  versionInfo?: string;
  /** The `envoy.extensions.transport_sockets.tls.v3.Secret`, when the dump carries one. */
  secret?: JsonObject;
}

export type DumpSection = "secrets" | "clusters" | "listeners";

/** The parts of a config dump that mtls-doctor reads, each still in the dump's own spelling. */
export interface ConfigDump {
  /** Warming secrets first, then active ones, as `istioctl proxy-config secret` lists them. */
  secrets: DumpSecret[];
  /** Dynamic active clusters (the `cluster` of each entry), then static ones. */
  clusters: JsonObject[];
  /** Active listeners: dynamic ones' `active_state.listener`, then static ones. */
  listeners: JsonObject[];
  /** Which sections the dump had at all: an absent section means "unknown", not "empty". */
  sections: ReadonlySet<DumpSection>;
}

const parsed = new WeakMap<object, ConfigDump>();

/**
 * Indexes a config dump once; later calls with the same parsed JSON return the same result. Accepts
 * the full dump (`configs[]`, or the map of early Envoy versions) and a bare `*ConfigDump` section
 * (what `istioctl proxy-config secret -o json` prints). Anything else yields an empty dump.
 */
export function parseConfigDump(dump: unknown): ConfigDump {
  if (!isObject(dump)) return emptyDump();
  const cached = parsed.get(dump);
  if (cached) return cached;
  const result = indexDump(dump);
  parsed.set(dump, result);
  return result;
}

function emptyDump(): ConfigDump {
  return { secrets: [], clusters: [], listeners: [], sections: new Set() };
}

function indexDump(dump: JsonObject): ConfigDump {
  const configs = field(dump, "configs");
  const sections: JsonObject[] = Array.isArray(configs)
    ? configs.filter(isObject)
    : isObject(configs)
      ? Object.values(configs).filter(isObject)
      : [dump];
  const result: ConfigDump = { secrets: [], clusters: [], listeners: [], sections: new Set() };
  const seen = new Set<DumpSection>();
  for (const section of sections) {
    const kind = sectionKind(section);
    if (kind === "secrets") readSecrets(section, result.secrets);
    else if (kind === "clusters") readClusters(section, result.clusters);
    else if (kind === "listeners") readListeners(section, result.listeners);
    if (kind !== undefined) seen.add(kind);
  }
  result.sections = seen;
  return result;
}

/** Classifies a section by its `@type`, or by its fields when it has none (a bare section). */
function sectionKind(section: JsonObject): DumpSection | undefined {
  const type = section["@type"];
  if (typeof type === "string") {
    if (type.endsWith(".SecretsConfigDump")) return "secrets";
    if (type.endsWith(".ClustersConfigDump")) return "clusters";
    if (type.endsWith(".ListenersConfigDump")) return "listeners";
    return undefined;
  }
  const has = (name: string) => field(section, name) !== undefined;
  if (has("dynamic_active_secrets") || has("dynamic_warming_secrets") || has("static_secrets")) return "secrets";
  if (has("dynamic_active_clusters") || has("static_clusters") || has("dynamic_warming_clusters")) return "clusters";
  if (has("dynamic_listeners") || has("static_listeners")) return "listeners";
  return undefined;
}

function readSecrets(section: JsonObject, out: DumpSecret[]): void {
  const add = (entries: unknown[], state: SecretState) => {
    for (const entry of entries) {
      if (!isObject(entry)) continue;
      const secret = objectAt(entry, "secret");
      const name = stringAt(entry, "name") ?? stringAt(secret, "name") ?? "";
      const item: DumpSecret = { name, state };
      const version = stringAt(entry, "version_info");
      if (version !== undefined) item.versionInfo = version;
      if (secret) item.secret = secret;
      out.push(item);
    }
  };
  add(arrayAt(section, "dynamic_warming_secrets"), "WARMING");
  add(arrayAt(section, "dynamic_active_secrets"), "ACTIVE");
}

function readClusters(section: JsonObject, out: JsonObject[]): void {
  for (const key of ["dynamic_active_clusters", "static_clusters"]) {
    for (const entry of arrayAt(section, key)) {
      const cluster = objectAt(entry, "cluster");
      if (cluster) out.push(cluster);
    }
  }
}

function readListeners(section: JsonObject, out: JsonObject[]): void {
  for (const entry of arrayAt(section, "dynamic_listeners")) {
    const listener = objectAt(entry, "active_state", "listener");
    if (listener) out.push(listener);
  }
  for (const entry of arrayAt(section, "static_listeners")) {
    const listener = objectAt(entry, "listener");
    if (listener) out.push(listener);
  }
}

export function dumpSecrets(dump: unknown): readonly DumpSecret[] {
  return parseConfigDump(dump).secrets;
}

export function dumpClusters(dump: unknown): readonly JsonObject[] {
  return parseConfigDump(dump).clusters;
}

export function dumpListeners(dump: unknown): readonly JsonObject[] {
  return parseConfigDump(dump).listeners;
}
