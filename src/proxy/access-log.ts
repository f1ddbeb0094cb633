/** The fields of one Envoy access-log entry a diagnosis reads. */
export interface AccessLogEntry {
  responseFlags: string[];
  /** `%UPSTREAM_TRANSPORT_FAILURE_REASON%`, absent when `-`. */
  transportFailureReason?: string;
  /** `outbound|8080||svc.ns.svc.cluster.local`, `inbound|8080||`. */
  upstreamCluster?: string;
  /** `%DOWNSTREAM_REMOTE_ADDRESS%` without the port. */
  downstreamIp?: string;
  /** SNI the client sent: Istio's mTLS clients always send `outbound_.<port>_._.<host>`. */
  requestedServerName?: string;
  /** The client's certificate identity, where the log format prints it (`%DOWNSTREAM_PEER_URI_SAN%`). */
  peerIdentity?: string;
  /** The line as logged. */
  line: string;
}

// Istio's default text format (meshConfig.accessLogFile, since 1.9; 1.8 and older lack the connection
// termination details):
// [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
// %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED%
// %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
// "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS%
// %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%
const TEXT_LINE = /^\[\d{4}-\d{2}-\d{2}T[^\]]*\]\s+"/;

/** Splits on spaces, keeping `"quoted strings"` whole (quotes removed). */
function tokens(text: string): { value: string; quoted: boolean }[] {
  const out: { value: string; quoted: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === " ") {
      i++;
      continue;
    }
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      const stop = end === -1 ? text.length : end;
      out.push({ value: text.slice(i + 1, stop), quoted: true });
      i = stop + 1;
      continue;
    }
    const end = text.indexOf(" ", i);
    const stop = end === -1 ? text.length : end;
    out.push({ value: text.slice(i, stop), quoted: false });
    i = stop;
  }
  return out;
}

const dash = (value: string | undefined): string | undefined => (value === undefined || value === "" || value === "-" ? undefined : value);

function ipOf(address: string | undefined): string | undefined {
  const value = dash(address);
  if (value === undefined) return undefined;
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(value);
  if (bracketed) return bracketed[1];
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(:\d+)?$/.exec(value);
  return v4 ? v4[1] : value;
}

function flagsOf(value: string | undefined): string[] {
  return (dash(value) ?? "").split(",").filter((f) => f !== "");
}

function fromText(line: string): AccessLogEntry | undefined {
  const start = line.indexOf("]");
  const t = tokens(line.slice(start + 1));
  // t[0] is the quoted request line; 1.9+ has the termination details before the quoted failure reason.
  const modern = t[5]?.quoted === true && t[4]?.quoted !== true;
  const at = (i: number) => t[modern ? i : i - 1]?.value;
  if (t.length < (modern ? 20 : 19)) return undefined;
  const entry: AccessLogEntry = { responseFlags: flagsOf(t[2]?.value), line };
  const reason = dash(at(5));
  const cluster = dash(at(15));
  const downstream = ipOf(at(18));
  const sni = dash(at(19));
  if (reason) entry.transportFailureReason = reason;
  if (cluster) entry.upstreamCluster = cluster;
  if (downstream) entry.downstreamIp = downstream;
  if (sni) entry.requestedServerName = sni;
  return entry;
}

function fromJson(line: string): AccessLogEntry | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (record === null || typeof record !== "object") return undefined;
  const r = record as Record<string, unknown>;
  const str = (key: string) => (typeof r[key] === "string" ? (r[key] as string) : typeof r[key] === "number" ? String(r[key]) : undefined);
  // Only Envoy access-log entries: the agent's own JSON log lines carry none of these.
  if (str("upstream_cluster") === undefined && str("response_flags") === undefined) return undefined;
  const entry: AccessLogEntry = { responseFlags: flagsOf(str("response_flags")), line };
  const reason = dash(str("upstream_transport_failure_reason"));
  const cluster = dash(str("upstream_cluster"));
  const downstream = ipOf(str("downstream_remote_address"));
  const sni = dash(str("requested_server_name"));
  const peer = dash(str("downstream_peer_uri_san")) ?? dash(str("downstream_peer_principal"));
  if (reason) entry.transportFailureReason = reason;
  if (cluster) entry.upstreamCluster = cluster;
  if (downstream) entry.downstreamIp = downstream;
  if (sni) entry.requestedServerName = sni;
  if (peer) entry.peerIdentity = peer;
  return entry;
}

/** One access-log entry, in Istio's default text format or as JSON (`accessLogEncoding: JSON`); undefined for other lines. */
export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const trimmed = line.trim();
  if (trimmed.startsWith("{")) return fromJson(trimmed);
  if (TEXT_LINE.test(trimmed)) return fromText(trimmed);
  return undefined;
}

export interface AccessLog {
  entries: AccessLogEntry[];
  /** Log lines read (the window the counts cover): records, not the continuation lines of a multi-line message. */
  lines: number;
}

/** A line that starts a log record: Envoy's `[time]`, the agent's `2026-…T…` or a JSON object. */
const RECORD_START = /^(\[\d{4}-\d{2}-\d{2}T|\d{4}-\d{2}-\d{2}T|\{)/;

export function readAccessLog(log: string): AccessLog {
  const lines = log.split(/\r?\n/).filter((l) => l.trim() !== "");
  const entries: AccessLogEntry[] = [];
  let records = 0;
  for (const line of lines) {
    if (RECORD_START.test(line.trimStart())) records++;
    const entry = parseAccessLogLine(line);
    if (entry) entries.push(entry);
  }
  return { entries, lines: records > 0 ? records : lines.length };
}

/** A failed connection towards the upstream: UF/URX, or a TLS failure Envoy recorded. */
export function isFailedEntry(entry: AccessLogEntry): boolean {
  return entry.transportFailureReason !== undefined || entry.responseFlags.some((f) => f === "UF" || f === "URX");
}

/** `inbound|<port>|...` → the container port; `outbound|<port>|<subset>|<host>` → the Service port and host. */
export function clusterTarget(cluster: string | undefined): { direction: "inbound"; port: number } | { direction: "outbound"; port: number; host: string } | undefined {
  const parts = (cluster ?? "").split("|");
  const port = Number(parts[1]);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  if (parts[0] === "inbound") return { direction: "inbound", port };
  if (parts[0] === "outbound" && parts.length === 4 && parts[3]) return { direction: "outbound", port, host: parts[3] };
  return undefined;
}
