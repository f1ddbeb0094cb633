import type { Pod } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import type { Source, Target } from "../checks/types.js";
import { clusterTarget, isFailedEntry, readAccessLog, type AccessLog, type AccessLogEntry } from "../proxy/access-log.js";
import {
  formatUptime,
  hasFailureFlag,
  hasInboundSslStats,
  hasOutboundSslStats,
  inboundTlsFailures,
  istioTraffic,
  isServiceHost,
  outboundTlsFailures,
  readProxyStats,
  type CounterSet,
  type ProxyStats,
  type ServiceName,
} from "../proxy/envoy-stats.js";
import { connectionFor, type ClientSide, type PortConnection } from "./connection.js";
import { containerPortFor } from "./ports.js";
import { hasProxy, podRef } from "./proxy.js";

export const STATS_WINDOW = "since proxy start";

/** What the proxies counted for one Service port: the report's `observed` (DESIGN.md). */
export interface ObservedFigures {
  window: string;
  handshakeFailures: number;
  plaintextAccepted: number;
  mtlsAccepted: number;
  /** `Kind ns/name` of the clients the data names. */
  sources: string[];
}

/** Refused or failed TLS one proxy counted on the path (MTLS701). */
export interface FailureObservation {
  pod: Pod;
  side: "target" | "source";
  /** The Service ports the counts are about (every port for the target's shared inbound listener). */
  ports: number[];
  total: number;
  window: string;
  evidence: string[];
}

/** Plaintext one target proxy accepted on a port (MTLS702 when the port is PERMISSIVE). */
export interface PlaintextObservation {
  pod: Pod;
  port: number;
  total: number;
  window: string;
  sources: string[];
  evidence: string[];
}

export interface TargetObservations {
  /** Per Service port; empty when no proxy of the path had stats or logs in the snapshot. */
  figures: Map<number, ObservedFigures>;
  failures: FailureObservation[];
  plaintext: PlaintextObservation[];
  /** Proxies whose stats lack the `ssl.*` counters the diagnosis reads (Istio trims them by default). */
  trimmed: string[];
}

interface Tally {
  handshakeFailures: number;
  plaintextAccepted: number;
  mtlsAccepted: number;
  sources: Set<string>;
  fromStats: boolean;
  logLines: number;
}

const windowOfLog = (log: AccessLog) => `last ${log.lines} log lines`;
const statsWindow = (stats: ProxyStats) =>
  stats.uptimeSeconds === undefined ? STATS_WINDOW : `${STATS_WINDOW}, up ${formatUptime(stats.uptimeSeconds)}`;

function describeCounters(set: CounterSet): string {
  return Object.entries(set.counts)
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
}

/**
 * Where a figure that names no port goes: the first port whose server mode is one of `modes` (a refused
 * one first when `refusedFirst`: that is where refusals come from), else the first port.
 */
function rowFor(connections: readonly PortConnection[], modes: readonly string[], refusedFirst = false): number | undefined {
  const inMode = connections.filter((c) => modes.includes(c.server.mode));
  const refused = refusedFirst ? inMode.find((c) => c.outcome === "refused") : undefined;
  return (refused ?? inMode[0] ?? connections[0])?.port.port;
}

/** The observations of a target as seen by a client, computed once per snapshot (checks and the report share them). */
export function observationsFor(view: SnapshotView, target: Target, source: Source | undefined, client: ClientSide): TargetObservations {
  return view.derived(`observed:${target.resource}:${client.key}`, () => observeTarget(view, target, source, connectionFor(view, target, client)));
}

/**
 * What the proxies on the path counted, for a target and (in `check`) its source: the target proxies'
 * inbound counters, standard metrics and access logs, the source proxies' outbound cluster counters,
 * standard metrics and access logs. Figures that do not name a port (the shared inbound listener,
 * Istio's metrics) go to the port whose mode can produce them. Stats are preferred to logs for a
 * figure (they cover the proxy's life); logs stand in where a proxy's stats lack it.
 */
export function observeTarget(view: SnapshotView, target: Target, source: Source | undefined, connections: readonly PortConnection[]): TargetObservations {
  const service: ServiceName = { name: target.name, namespace: target.namespace };
  const result: TargetObservations = { figures: new Map(), failures: [], plaintext: [], trimmed: [] };
  const tallies = new Map<number, Tally>();
  let anyData = false;
  const tally = (port: number | undefined): Tally | undefined => {
    if (port === undefined) return undefined;
    let t = tallies.get(port);
    if (!t) tallies.set(port, (t = { handshakeFailures: 0, plaintextAccepted: 0, mtlsAccepted: 0, sources: new Set(), fromStats: false, logLines: 0 }));
    return t;
  };
  const allPorts = connections.map((c) => c.port.port);
  const knownPods = podsByIp(view, [target.namespace, ...(source ? [source.namespace] : [])]);

  for (const pod of target.pods.filter(hasProxy)) {
    const data = proxyInputs(view, pod);
    if (!data.stats && !data.log) continue;
    anyData = true;
    const ref = podRef(pod);
    let failuresFromStats = false;
    let trafficFromStats = false;
    if (data.stats) {
      const stats = data.stats;
      const window = statsWindow(stats);
      if (hasInboundSslStats(stats)) {
        failuresFromStats = true;
        const failed = inboundTlsFailures(stats);
        const port = rowFor(connections, ["STRICT"], true);
        const t = tally(port);
        if (t) t.fromStats = true;
        if (failed.total > 0) {
          if (t) t.handshakeFailures += failed.total;
          result.failures.push({
            pod,
            side: "target",
            ports: allPorts,
            total: failed.total,
            window: STATS_WINDOW,
            evidence: [`proxy of ${ref}, inbound listener 0.0.0.0:15006 (every inbound port), ${window}: ${describeCounters(failed)}`],
          });
        }
      } else {
        result.trimmed.push(ref);
      }
      if (stats.standardMetrics) {
        trafficFromStats = true;
        const traffic = istioTraffic(stats, service, "destination").filter((t) => t.event !== "closed");
        const plaintext = traffic.filter((t) => t.securityPolicy === "none");
        const mtls = traffic.filter((t) => t.securityPolicy === "mutual_tls");
        const mtlsTally = tally(rowFor(connections, ["STRICT", "PERMISSIVE"]));
        if (mtlsTally) {
          mtlsTally.fromStats = true;
          mtlsTally.mtlsAccepted += mtls.reduce((n, t) => n + t.count, 0);
        }
        const plaintextPort = rowFor(connections, ["PERMISSIVE", "DISABLE"]);
        const plainTally = tally(plaintextPort);
        if (plainTally) plainTally.fromStats = true;
        const plainCount = plaintext.reduce((n, t) => n + t.count, 0);
        if (plainCount > 0 && plainTally && plaintextPort !== undefined) {
          plainTally.plaintextAccepted += plainCount;
          const sources = [...new Set(plaintext.flatMap((t) => (t.sourceWorkload && t.sourceNamespace ? [workloadRef(view, t.sourceNamespace, t.sourceWorkload)] : [])))];
          sources.forEach((s) => plainTally.sources.add(s));
          result.plaintext.push({
            pod,
            port: plaintextPort,
            total: plainCount,
            window: STATS_WINDOW,
            sources,
            evidence: plaintext.map(
              (t) =>
                `proxy of ${ref}, ${window}: ${t.event === "request" ? "istio_requests_total" : "istio_tcp_connections_opened_total"}{reporter="destination", connection_security_policy="none", source_workload="${t.sourceWorkload ?? "unknown"}"} ${t.count}`,
            ),
          });
        }
      }
    }
    if (data.log && (!failuresFromStats || !trafficFromStats)) {
      const log = data.log;
      const inbound = log.entries.filter((e) => clusterTarget(e.upstreamCluster)?.direction === "inbound");
      const byPort = new Map<number, AccessLogEntry[]>();
      for (const entry of inbound) {
        const containerPort = clusterTarget(entry.upstreamCluster)?.port;
        const connection = connections.find((c) => containerPortFor(pod, c.port.targetPort) === containerPort);
        if (!connection) continue;
        const list = byPort.get(connection.port.port) ?? [];
        list.push(entry);
        byPort.set(connection.port.port, list);
      }
      for (const [port, entries] of byPort) {
        const t = tally(port);
        if (!t) continue;
        t.logLines = Math.max(t.logLines, log.lines);
        const failed = entries.filter(isFailedEntry);
        if (!failuresFromStats && failed.length > 0) {
          t.handshakeFailures += failed.length;
          result.failures.push({ pod, side: "target", ports: [port], total: failed.length, window: windowOfLog(log), evidence: logEvidence(ref, log, failed) });
        }
        if (trafficFromStats) continue;
        const ok = entries.filter((e) => !isFailedEntry(e));
        const plaintext = ok.filter((e) => e.requestedServerName === undefined && e.peerIdentity === undefined);
        t.mtlsAccepted += ok.length - plaintext.length;
        if (plaintext.length > 0) {
          t.plaintextAccepted += plaintext.length;
          const sources = [...new Set(plaintext.flatMap((e) => (e.downstreamIp && knownPods.has(e.downstreamIp) ? [`Pod ${podRef(knownPods.get(e.downstreamIp) as Pod)}`] : [])))];
          sources.forEach((s) => t.sources.add(s));
          result.plaintext.push({ pod, port, total: plaintext.length, window: windowOfLog(log), sources, evidence: logEvidence(ref, log, plaintext) });
        }
      }
    }
  }

  for (const pod of (source?.pods ?? []).filter(hasProxy)) {
    const data = proxyInputs(view, pod);
    if (!data.stats && !data.log) continue;
    anyData = true;
    const ref = podRef(pod);
    for (const c of connections) {
      const port = c.port.port;
      const t = tally(port);
      if (!t) continue;
      let counted = false;
      if (data.stats) {
        const stats = data.stats;
        const window = statsWindow(stats);
        if (hasOutboundSslStats(stats, port, service)) {
          counted = true;
          t.fromStats = true;
          const failed = outboundTlsFailures(stats, port, service);
          if (failed.total > 0) {
            t.handshakeFailures += failed.total;
            result.failures.push({
              pod,
              side: "source",
              ports: [port],
              total: failed.total,
              window: STATS_WINDOW,
              evidence: [`proxy of ${ref}, cluster outbound|${port}||${target.name}.${target.namespace}.svc, ${window}: ${describeCounters(failed)}`],
            });
          }
        } else if (stats.standardMetrics) {
          // Without the cluster's ssl counters, Istio's metrics still carry the response flags.
          const flagged = istioTraffic(stats, service, "source").filter((x) => x.event !== "opened" && hasFailureFlag(x.responseFlags));
          const refusedPort = connections.find((x) => x.outcome === "refused")?.port.port ?? connections[0]?.port.port;
          if (port === refusedPort) {
            counted = true;
            t.fromStats = true;
            const total = flagged.reduce((n, x) => n + x.count, 0);
            if (total > 0) {
              t.handshakeFailures += total;
              result.failures.push({
                pod,
                side: "source",
                ports: [port],
                total,
                window: STATS_WINDOW,
                evidence: flagged.map(
                  (x) =>
                    `proxy of ${ref}, ${window}: ${x.event === "request" ? "istio_requests_total" : "istio_tcp_connections_closed_total"}{reporter="source", destination_service="${target.name}.${target.namespace}.svc…", response_flags="${x.responseFlags.join(",")}"} ${x.count}`,
                ),
              });
            }
          }
          if (sendsTls(c) && !result.trimmed.includes(ref)) result.trimmed.push(ref);
        } else if (sendsTls(c) && !result.trimmed.includes(ref)) {
          result.trimmed.push(ref);
        }
      }
      if (!counted && data.log) {
        const log = data.log;
        const towards = log.entries.filter((e) => {
          const where = clusterTarget(e.upstreamCluster);
          return where?.direction === "outbound" && where.port === port && isServiceHost(where.host, service);
        });
        t.logLines = Math.max(t.logLines, log.lines);
        const failed = towards.filter(isFailedEntry);
        if (failed.length > 0) {
          t.handshakeFailures += failed.length;
          result.failures.push({ pod, side: "source", ports: [port], total: failed.length, window: windowOfLog(log), evidence: logEvidence(ref, log, failed) });
        }
      }
    }
  }

  if (!anyData) return result;
  for (const c of connections) {
    const t = tally(c.port.port) as Tally;
    result.figures.set(c.port.port, {
      window: t.fromStats || t.logLines === 0 ? STATS_WINDOW : `last ${t.logLines} log lines`,
      handshakeFailures: t.handshakeFailures,
      plaintextAccepted: t.plaintextAccepted,
      mtlsAccepted: t.mtlsAccepted,
      sources: [...t.sources].sort(),
    });
  }
  return result;
}

/** A cluster without TLS has no ssl counters to trim. */
function sendsTls(c: PortConnection): boolean {
  return c.clientSends === "ISTIO_MUTUAL" || c.clientSends === "SIMPLE" || c.clientSends === "MUTUAL";
}

function logEvidence(ref: string, log: AccessLog, entries: readonly AccessLogEntry[]): string[] {
  const samples = entries.slice(0, 2).map((e) => (e.line.length > 300 ? `${e.line.slice(0, 299)}…` : e.line));
  return [`proxy of ${ref}, ${windowOfLog(log)}: ${entries.length} access-log line(s), e.g.`, ...samples];
}

/** A proxy's stats and access log, parsed once per snapshot. */
function proxyInputs(view: SnapshotView, pod: Pod): { stats?: ProxyStats; log?: AccessLog } {
  const namespace = pod.metadata?.namespace ?? "";
  const name = pod.metadata?.name ?? "";
  return view.derived(`proxy-traffic:${namespace}/${name}`, () => {
    const statsText = view.proxyStats(namespace, name);
    const logText = view.proxyLog(namespace, name);
    const out: { stats?: ProxyStats; log?: AccessLog } = {};
    if (statsText !== undefined) out.stats = readProxyStats(statsText);
    // An empty log (a proxy that just started, or a capture that read nothing) holds no evidence.
    if (logText !== undefined && logText.trim() !== "") out.log = readAccessLog(logText);
    return out;
  });
}

/** Pods by IP in the namespaces on the path: what an access log's client address can be named as. */
function podsByIp(view: SnapshotView, namespaces: readonly string[]): Map<string, Pod> {
  const map = new Map<string, Pod>();
  for (const ns of new Set(namespaces)) {
    for (const pod of view.pods(ns)) {
      const ip = pod.status?.podIP;
      if (ip && !pod.spec?.hostNetwork) map.set(ip, pod);
    }
  }
  return map;
}

/** A workload Istio's metrics name: its kind where the snapshot has it. */
function workloadRef(view: SnapshotView, namespace: string, name: string): string {
  const kinds = ["Deployment", "StatefulSet", "DaemonSet"];
  const found = view.workloads(namespace).find((w) => kinds.includes(w.kind ?? "") && w.metadata?.name === name);
  return `${found?.kind ?? "Workload"} ${namespace}/${name}`;
}
