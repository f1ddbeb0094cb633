import { arrayAt, isObject, objectAt, parseConfigDump, stringAt, type JsonObject } from "./config-dump.js";
import { classifySocket } from "./transport-socket.js";

/**
 * How a client proxy connects to a service's endpoints through one outbound cluster:
 * - `mtls`: TLS with a client certificate to every endpoint;
 * - `auto-mtls`: Istio's auto mTLS: TLS to endpoints labelled `tlsMode: istio` (those with a proxy),
 *   plaintext to the others (`transport_socket_matches`);
 * - `tls`: TLS without a client certificate (DestinationRule SIMPLE);
 * - `none`: no TLS transport socket at all: plaintext;
 * - `other`: a transport socket this code does not recognise.
 */
export type UpstreamTls = "mtls" | "auto-mtls" | "tls" | "none" | "other";

export interface OutboundClusterTls {
  /** `outbound|<port>|<subset>|<host>`. */
  name: string;
  port: number;
  /** Empty for the service's default cluster. */
  subset: string;
  host: string;
  tls: UpstreamTls;
  /** The TLS (where there is any) uses Istio's own certificates: Istio mutual TLS rather than MUTUAL. */
  istioCertificates: boolean;
}

interface ClusterName {
  port: number;
  subset: string;
  host: string;
}

/** Parses Istio's `outbound|<port>|<subset>|<host>` cluster names. */
export function parseOutboundClusterName(name: string): ClusterName | undefined {
  const parts = name.split("|");
  if (parts.length !== 4 || parts[0] !== "outbound") return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  return { port, subset: parts[2] ?? "", host: parts[3] ?? "" };
}

/** `name.ns.svc` of a Kubernetes service host, whatever the cluster domain; undefined for other hosts. */
function serviceKey(host: string): string | undefined {
  const labels = host.toLowerCase().split(".");
  return labels.length >= 3 && labels[2] === "svc" ? labels.slice(0, 3).join(".") : undefined;
}

const outboundIndex = new WeakMap<object, Map<string, JsonObject[]>>();

/** Outbound clusters of a dump by `port|host key`, built once per dump. */
function indexOutbound(dump: unknown): Map<string, JsonObject[]> {
  if (!isObject(dump)) return new Map();
  let index = outboundIndex.get(dump);
  if (index) return index;
  index = new Map();
  for (const cluster of parseConfigDump(dump).clusters) {
    const parsed = parseOutboundClusterName(stringAt(cluster, "name") ?? "");
    if (!parsed) continue;
    const key = `${parsed.port}|${serviceKey(parsed.host) ?? parsed.host.toLowerCase()}`;
    const list = index.get(key);
    if (list) list.push(cluster);
    else index.set(key, [cluster]);
  }
  outboundIndex.set(dump, index);
  return index;
}

/**
 * The client proxy's outbound clusters for a service port: the default one and one per subset.
 * `host` is the service's FQDN (`reviews.shop.svc.cluster.local`); another cluster domain matches too.
 * Empty when the dump has no such cluster (or no cluster section: see `parseConfigDump().sections`).
 */
export function outboundClusterTls(dump: unknown, host: string, port: number): OutboundClusterTls[] {
  const key = `${port}|${serviceKey(host) ?? host.toLowerCase()}`;
  return (indexOutbound(dump).get(key) ?? []).map((cluster) => {
    const name = stringAt(cluster, "name") ?? "";
    const parsed = parseOutboundClusterName(name) ?? { port, subset: "", host };
    return { name, ...parsed, ...clusterTls(cluster) };
  });
}

export function clusterTls(cluster: JsonObject): { tls: UpstreamTls; istioCertificates: boolean } {
  const socket = classifySocket(objectAt(cluster, "transport_socket"), "upstream");
  const matches = arrayAt(cluster, "transport_socket_matches").filter(isObject);
  if (matches.length === 0) return { tls: socket.security, istioCertificates: socket.istioCertificates };
  const options = matches.map((m) => ({
    conditional: Object.keys(objectAt(m, "match") ?? {}).length > 0,
    socket: classifySocket(objectAt(m, "transport_socket"), "upstream"),
  }));
  // Envoy takes the first match that applies, and the cluster's own socket when none does; options
  // after the first unconditional one can never apply.
  const unconditional = options.findIndex((o) => !o.conditional);
  const reachable = unconditional === -1 ? [...options, { conditional: false, socket }] : options.slice(0, unconditional + 1);
  const kinds = new Set(reachable.map((o) => o.socket.security));
  const istioCertificates = reachable.some((o) => o.socket.security !== "none" && o.socket.istioCertificates);
  const [only] = kinds;
  if (kinds.size === 1 && only !== undefined) return { tls: only, istioCertificates };
  const fallback = reachable[reachable.length - 1];
  if (kinds.size === 2 && kinds.has("mtls") && kinds.has("none") && fallback?.socket.security === "none") {
    return { tls: "auto-mtls", istioCertificates };
  }
  return { tls: "other", istioCertificates };
}
