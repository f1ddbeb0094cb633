import { parsePrometheusText, samplesOf, sumOf, type SampleIndex } from "./prometheus-text.js";

// What a sidecar's `stats/prometheus` says about TLS on one path. Envoy prints its stats with Istio's
// tag extractors applied (`listener.0.0.0.0_15006.ssl.connection_error` becomes
// `envoy_listener_ssl_connection_error{listener_address="0.0.0.0_15006"}`, a cluster's stats carry
// `cluster_name="outbound|8080||svc.ns.svc.cluster.local"`); Istio's standard metrics
// (`istio_requests_total`, `istio_tcp_connections_*`) carry the source, destination, response flags and
// `connection_security_policy`.

/** The target proxy's inbound counters of refused TLS (FINDINGS.md MTLS701), by Envoy stat name. */
export const INBOUND_FAILURE_COUNTERS = [
  "ssl.connection_error",
  "ssl.fail_verify_no_cert",
  "ssl.fail_verify_error",
  "ssl.fail_verify_san",
  "no_filter_chain_match",
] as const;

/** The source proxy's outbound cluster counters of failed TLS, by Envoy stat name. */
export const OUTBOUND_FAILURE_COUNTERS = [
  "ssl.connection_error",
  "ssl.fail_verify_no_cert",
  "ssl.fail_verify_error",
  "ssl.fail_verify_san",
  "upstream_cx_connect_fail",
] as const;

/** Response flags of a connection that failed towards the upstream: UF connect failure, URX retries exhausted. */
export const FAILURE_FLAGS = ["UF", "URX"] as const;

/**
 * The annotation that makes a sidecar keep the counters Istio trims by default (a pod template
 * annotation; the proxies pick it up when the pods restart).
 */
export const STATS_MATCHER_ANNOTATION = [
  "proxy.istio.io/config: |",
  "  proxyStatsMatcher:",
  "    inclusionRegexps:",
  '    - ".*\\\\.ssl\\\\..*"',
  '    - ".*no_filter_chain_match"',
  '    - ".*upstream_cx_connect_fail"',
].join("\n");

/** Counters that were found, by Envoy stat name (zero counts left out), and their sum. */
export interface CounterSet {
  counts: Record<string, number>;
  total: number;
}

/** One group of Istio standard metric samples that share the labels a diagnosis reads. */
export interface IstioTraffic {
  /** A request (`istio_requests_total`), an opened or a closed TCP connection. */
  event: "request" | "opened" | "closed";
  reporter: string;
  securityPolicy: string;
  responseFlags: string[];
  sourceWorkload?: string;
  sourceNamespace?: string;
  sourcePrincipal?: string;
  count: number;
}

export interface ProxyStats {
  index: SampleIndex;
  /** `envoy_server_uptime`: seconds since the proxy started, what its counters cover. */
  uptimeSeconds?: number;
  /** Whether Istio's standard metrics (`istio_*`) are printed at all. */
  standardMetrics: boolean;
}

const PROM_NAME = (kind: "listener" | "cluster", stat: string) => `envoy_${kind}_${stat.replace(/\./g, "_")}`;

export function readProxyStats(text: string): ProxyStats {
  const index = parsePrometheusText(text);
  const uptime = samplesOf(index, "envoy_server_uptime")[0]?.value;
  const standardMetrics = [...index.keys()].some((name) => name.startsWith("istio_"));
  const stats: ProxyStats = { index, standardMetrics };
  if (uptime !== undefined && Number.isFinite(uptime)) stats.uptimeSeconds = uptime;
  return stats;
}

function counters(stats: ProxyStats, kind: "listener" | "cluster", names: readonly string[], match: (labels: Readonly<Record<string, string>>) => boolean): CounterSet {
  const set: CounterSet = { counts: {}, total: 0 };
  for (const stat of names) {
    const value = sumOf(stats.index, PROM_NAME(kind, stat), match);
    if (value > 0) {
      set.counts[stat] = value;
      set.total += value;
    }
  }
  return set;
}

/** The virtual inbound listener (port 15006) serves every inbound port of a sidecar. */
function isVirtualInbound(labels: Readonly<Record<string, string>>): boolean {
  return /(^|_)15006$/.test(labels["listener_address"] ?? labels["envoy_listener_address"] ?? "");
}

/** Refused TLS on the target proxy's inbound listener. */
export function inboundTlsFailures(stats: ProxyStats): CounterSet {
  return counters(stats, "listener", INBOUND_FAILURE_COUNTERS, isVirtualInbound);
}

export interface ServiceName {
  name: string;
  namespace: string;
}

/** `name.namespace.svc.<cluster domain>`, whatever the cluster domain is. */
export function isServiceHost(host: string | undefined, service: ServiceName): boolean {
  return host !== undefined && host.startsWith(`${service.name}.${service.namespace}.svc.`);
}

/** `outbound|<port>|<subset>|<host>`, the cluster a sidecar sends a Service port's traffic through. */
export function isOutboundCluster(name: string, servicePort: number, service: ServiceName): boolean {
  const parts = name.split("|");
  return parts.length === 4 && parts[0] === "outbound" && parts[1] === String(servicePort) && isServiceHost(parts[3], service);
}

const clusterName = (labels: Readonly<Record<string, string>>) => labels["cluster_name"] ?? labels["envoy_cluster_name"] ?? "";

/** Failed TLS or connections on the source proxy's outbound cluster for one Service port. */
export function outboundTlsFailures(stats: ProxyStats, servicePort: number, service: ServiceName): CounterSet {
  return counters(stats, "cluster", OUTBOUND_FAILURE_COUNTERS, (labels) => isOutboundCluster(clusterName(labels), servicePort, service));
}

/** Whether the proxy prints Envoy's `ssl.*` counters for that outbound cluster (Istio trims them by default). */
export function hasOutboundSslStats(stats: ProxyStats, servicePort: number, service: ServiceName): boolean {
  for (const [name, samples] of stats.index) {
    if (!name.startsWith("envoy_cluster_ssl_")) continue;
    if (samples.some((s) => isOutboundCluster(clusterName(s.labels), servicePort, service))) return true;
  }
  return false;
}

/** Whether the proxy prints Envoy's `ssl.*` counters for its inbound listener. */
export function hasInboundSslStats(stats: ProxyStats): boolean {
  for (const [name, samples] of stats.index) {
    if (name.startsWith("envoy_listener_ssl_") && samples.some((s) => isVirtualInbound(s.labels))) return true;
  }
  return false;
}

function isService(labels: Readonly<Record<string, string>>, service: ServiceName): boolean {
  if (isServiceHost(labels["destination_service"], service)) return true;
  return labels["destination_service_name"] === service.name && labels["destination_service_namespace"] === service.namespace;
}

/**
 * Istio's standard metrics towards a Service, as one side reported them: HTTP requests
 * (`istio_requests_total`), TCP connections opened, and TCP connections closed with response flags
 * (a TCP connection's flags are known when it closes).
 */
export function istioTraffic(stats: ProxyStats, service: ServiceName, reporter: "source" | "destination"): IstioTraffic[] {
  const out: IstioTraffic[] = [];
  const read = (metric: string, event: IstioTraffic["event"], onlyFlagged: boolean) => {
    for (const s of samplesOf(stats.index, metric, (l) => l["reporter"] === reporter && isService(l, service))) {
      const flags = (s.labels["response_flags"] ?? "-").split(",").filter((f) => f !== "" && f !== "-");
      if (onlyFlagged && flags.length === 0) continue;
      if (!Number.isFinite(s.value) || s.value <= 0) continue;
      const traffic: IstioTraffic = {
        event,
        reporter,
        securityPolicy: s.labels["connection_security_policy"] ?? "unknown",
        responseFlags: flags,
        count: s.value,
      };
      const workload = known(s.labels["source_workload"]);
      const namespace = known(s.labels["source_workload_namespace"]);
      const principal = known(s.labels["source_principal"]);
      if (workload) traffic.sourceWorkload = workload;
      if (namespace) traffic.sourceNamespace = namespace;
      if (principal) traffic.sourcePrincipal = principal;
      out.push(traffic);
    }
  };
  read("istio_requests_total", "request", false);
  read("istio_tcp_connections_opened_total", "opened", false);
  read("istio_tcp_connections_closed_total", "closed", true);
  return out;
}

function known(value: string | undefined): string | undefined {
  return value === undefined || value === "" || value === "unknown" ? undefined : value;
}

export function hasFailureFlag(flags: readonly string[]): boolean {
  return flags.some((f) => (FAILURE_FLAGS as readonly string[]).includes(f));
}

/** `3h 12m`, `45s`: how long the counters cover. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}
