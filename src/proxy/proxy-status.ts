import type { ProxyStatusEntry } from "../cluster/snapshot.js";

/**
 * Parses `istioctl proxy-status` output in any of its shapes:
 * - the table before 1.27: `NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION`, cells like `SYNCED (3m40s)`;
 * - the table since 1.27: `NAME CLUSTER ISTIOD VERSION SUBSCRIBED TYPES` (`5 (CDS,LDS,EDS,RDS,ECDS)`),
 *   or with `-v 1` one column per xDS type between CLUSTER and ISTIOD;
 * - `-o json`: one `DiscoveryResponse` per istiod (several are printed one after the other), whose
 *   resources are `envoy.service.status.v3.ClientConfig`s.
 * A type listed only under SUBSCRIBED TYPES has the state `SUBSCRIBED`: that table does not say more.
 * Throws an Error naming the expected shapes when the text is none of them.
 */
export function parseProxyStatus(text: string): ProxyStatusEntry[] {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) return parseJsonStatus(trimmed);
  return parseTable(trimmed);
}

const EXPECTED =
  "expected `istioctl proxy-status` output: a table whose header starts with NAME (NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION, or NAME CLUSTER ISTIOD VERSION SUBSCRIBED TYPES), or the JSON of `-o json`";

export class ProxyStatusParseError extends Error {
  override readonly name = "ProxyStatusParseError";
}

/** `<pod>.<namespace>`, or a full Envoy node id `sidecar~<ip>~<pod>.<namespace>~<domain>`, as `namespace/pod`. */
export function podFromProxyId(id: string): string | undefined {
  const name = id.includes("~") ? (id.split("~")[2] ?? "") : id;
  // Namespaces cannot contain dots (they are DNS labels) but pod names can: split at the last one.
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return `${name.slice(dot + 1)}/${name.slice(0, dot)}`;
}

// ---- tables ----

const NON_TYPE_COLUMNS = new Set(["NAME", "CLUSTER", "ISTIOD", "PILOT", "VERSION", "SUBSCRIBED TYPES"]);

interface Column {
  title: string;
  start: number;
}

function parseTable(text: string): ProxyStatusEntry[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = lines[0] ?? "";
  const tabbed = header.includes("\t");
  const titles = splitCells(header, tabbed);
  if (titles[0] !== "NAME" || titles.length < 2) {
    throw new ProxyStatusParseError(`${EXPECTED}; got a first line of "${header.slice(0, 120)}"`);
  }
  const columns = tabbed ? [] : columnStarts(header, titles);
  return lines.slice(1).map((line, i) => {
    const cells = tabbed ? splitCells(line, true) : (sliceCells(line, columns) ?? splitCells(line, false));
    if (cells.length !== titles.length) {
      throw new ProxyStatusParseError(
        `proxy-status line ${i + 2} has ${cells.length} cells where the header has ${titles.length} columns: "${line.slice(0, 120)}"`,
      );
    }
    return tableEntry(titles, cells, i + 2);
  });
}

function splitCells(line: string, tabbed: boolean): string[] {
  // Tab-separated cells may be empty; space-aligned ones are told apart by runs of two or more spaces.
  const cells = tabbed ? line.replace(/[ \r\n]+$/, "").split("\t") : line.trim().split(/\s{2,}/);
  return cells.map((cell) => cell.trim());
}

/** Where each header title starts: istioctl aligns its columns with a tabwriter. */
function columnStarts(header: string, titles: string[]): Column[] {
  const columns: Column[] = [];
  let from = 0;
  for (const title of titles) {
    const start = header.indexOf(title, from);
    columns.push({ title, start });
    from = start + title.length;
  }
  return columns;
}

/**
 * Cells by the header's column positions, so that cells holding single spaces (`NOT SENT`,
 * `SYNCED (3m40s)`) and empty cells stay in their columns. Undefined when the line is not aligned
 * with the header (hand-edited or re-spaced output): the caller then splits on runs of spaces.
 */
function sliceCells(line: string, columns: Column[]): string[] | undefined {
  const cells: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const start = columns[i]?.start ?? 0;
    const end = columns[i + 1]?.start ?? line.length;
    if (start > 0 && start < line.length && !/\s/.test(line[start - 1] ?? "")) return undefined;
    cells.push(line.slice(start, Math.max(start, end)).trim());
  }
  if ((cells[0] ?? "") === "" || /\s{2,}/.test(cells[0] ?? "")) return undefined;
  return cells;
}

function tableEntry(titles: string[], cells: string[], lineNumber: number): ProxyStatusEntry {
  const name = cells[0] ?? "";
  const pod = podFromProxyId(name);
  if (pod === undefined) {
    throw new ProxyStatusParseError(`proxy-status line ${lineNumber}: NAME "${name}" is not <pod>.<namespace>`);
  }
  const entry: ProxyStatusEntry = { pod, types: {} };
  titles.forEach((title, i) => {
    const cell = cells[i] ?? "";
    if (title === "NAME") return;
    if (title === "CLUSTER") {
      if (cell !== "") entry.cluster = cell;
    } else if (title === "ISTIOD" || title === "PILOT") {
      if (cell !== "") entry.istiod = cell;
    } else if (title === "VERSION") {
      if (cell !== "") entry.version = cell;
    } else if (title === "SUBSCRIBED TYPES") {
      for (const type of subscribedTypes(cell)) entry.types[type] = "SUBSCRIBED";
    } else if (!NON_TYPE_COLUMNS.has(title) && cell !== "") {
      entry.types[title] = stateOf(cell);
    }
  });
  return entry;
}

/** `SYNCED (3m40s)` → `SYNCED`, `STALE (Never Acknowledged)` → `STALE`, `NOT SENT` stays. */
function stateOf(cell: string): string {
  return cell.replace(/\s*\(.*\)\s*$/, "").trim();
}

/** `5 (CDS,LDS,EDS,RDS,ECDS)` → the types; `0` → none. */
function subscribedTypes(cell: string): string[] {
  const list = /\(([^)]*)\)/.exec(cell)?.[1];
  if (list === undefined) return [];
  return list
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

// ---- -o json ----

const SHORT_TYPES: Record<string, string> = {
  "type.googleapis.com/envoy.config.cluster.v3.Cluster": "CDS",
  "type.googleapis.com/envoy.config.listener.v3.Listener": "LDS",
  "type.googleapis.com/envoy.config.route.v3.RouteConfiguration": "RDS",
  "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment": "EDS",
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret": "SDS",
  "type.googleapis.com/istio.networking.nds.v1.NameTable": "NDS",
  "type.googleapis.com/istio.mesh.v1alpha1.ProxyConfig": "PCDS",
  "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig": "ECDS",
  "type.googleapis.com/istio.workload.Address": "WDS",
  "type.googleapis.com/istio.workload.Workload": "WDS",
  "type.googleapis.com/istio.security.Authorization": "WADS",
};

/** The legacy `xdsConfig[]` entries name their type by which field they carry. */
const LEGACY_CONFIG_TYPES: [string, string][] = [
  ["clusterConfig", "CDS"],
  ["listenerConfig", "LDS"],
  ["routeConfig", "RDS"],
  ["endpointConfig", "EDS"],
  ["scopedRouteConfig", "SRDS"],
];

type Json = Record<string, unknown>;

function isJsonObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** protojson writes camelCase; accept the proto (snake_case) names too. */
function get(obj: unknown, camel: string): unknown {
  if (!isJsonObject(obj)) return undefined;
  return obj[camel] ?? obj[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function parseJsonStatus(text: string): ProxyStatusEntry[] {
  const documents: unknown[] = [];
  for (const chunk of splitJsonDocuments(text)) {
    try {
      documents.push(JSON.parse(chunk));
    } catch (err) {
      throw new ProxyStatusParseError(`${EXPECTED}; the JSON does not parse: ${(err as Error).message}`);
    }
  }
  const responses = documents.flatMap((d) => (Array.isArray(d) ? d : [d]));
  const entries: ProxyStatusEntry[] = [];
  for (const response of responses) {
    const resources = get(response, "resources");
    if (!isJsonObject(response) || !Array.isArray(resources)) {
      throw new ProxyStatusParseError(`${EXPECTED}; the JSON has no "resources" list of ClientConfig`);
    }
    const istiod = istiodId(response);
    for (const resource of resources) {
      const entry = clientConfigEntry(resource, istiod);
      if (entry) entries.push(entry);
    }
  }
  return entries.sort((a, b) => a.pod.localeCompare(b.pod));
}

/** istioctl prints one JSON document per istiod, back to back: split them at top-level boundaries. */
function splitJsonDocuments(text: string): string[] {
  const chunks: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0 && start >= 0) {
        chunks.push(text.slice(start, i + 1));
        start = -1;
      }
    } else if (depth === 0 && !/\s/.test(c ?? "")) {
      throw new ProxyStatusParseError(`${EXPECTED}; unexpected "${c}" between JSON documents at offset ${i}`);
    }
  }
  if (depth !== 0) throw new ProxyStatusParseError(`${EXPECTED}; the JSON is truncated`);
  return chunks;
}

/** The istiod that answered: `controlPlane.identifier` is itself JSON (`{"Component":"istiod","ID":...}`). */
function istiodId(response: Json): string | undefined {
  const identifier = get(get(response, "controlPlane"), "identifier");
  if (typeof identifier !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(identifier);
    const id = get(parsed, "ID");
    return typeof id === "string" && id !== "" ? id : undefined;
  } catch {
    return undefined;
  }
}

function clientConfigEntry(resource: unknown, istiod: string | undefined): ProxyStatusEntry | undefined {
  const node = get(resource, "node");
  const id = get(node, "id");
  if (typeof id !== "string") return undefined;
  const pod = podFromProxyId(id);
  if (pod === undefined) return undefined;
  const metadata = get(node, "metadata");
  const entry: ProxyStatusEntry = { pod, types: {} };
  const cluster = get(metadata, "CLUSTER_ID");
  const version = get(metadata, "ISTIO_VERSION");
  if (typeof cluster === "string" && cluster !== "") entry.cluster = cluster;
  if (typeof version === "string" && version !== "") entry.version = version;
  if (istiod !== undefined) entry.istiod = istiod;
  const generic = get(resource, "genericXdsConfigs");
  if (Array.isArray(generic)) {
    for (const config of generic) {
      const typeUrl = get(config, "typeUrl");
      if (typeof typeUrl !== "string") continue;
      entry.types[SHORT_TYPES[typeUrl] ?? typeUrl] = jsonState(get(config, "configStatus"));
    }
  } else {
    const legacy = get(resource, "xdsConfig");
    for (const config of Array.isArray(legacy) ? legacy : []) {
      const type = LEGACY_CONFIG_TYPES.find(([key]) => get(config, key) !== undefined)?.[1];
      if (type !== undefined) entry.types[type] = jsonState(get(config, "status"));
    }
  }
  return entry;
}

/** ConfigStatus as the tables print it: `NOT_SENT` → `NOT SENT`, `UNKNOWN` (or absent) → `IGNORED`. */
function jsonState(status: unknown): string {
  if (typeof status !== "string" || status === "" || status === "UNKNOWN") return "IGNORED";
  return status.replace(/_/g, " ");
}
