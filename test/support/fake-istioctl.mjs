#!/usr/bin/env node
// Stands in for `istioctl` in tests; istioctl cannot be installed here. It answers from a snapshot
// directory (DESIGN.md "Snapshot directory") and is steered by environment variables:
//   FAKE_ISTIOCTL_DIR                  the snapshot directory
//   FAKE_ISTIOCTL_PROXY_STATUS_FORMAT  pre127 | 127 | json: print proxy-status in that format, built from
//                                      proxy-status.txt/json, instead of the file as it is
//   FAKE_ISTIOCTL_VERSION              the version `istioctl version` reports (default 1.26.4)
//   FAKE_ISTIOCTL_LOG                  append each invocation as a JSON line {"argv":[...]}
//   FAKE_ISTIOCTL_SLEEP_MS             wait this long before answering (for timeout tests)
//   FAKE_ISTIOCTL_EXIT                 exit with this code (non-zero: after an error on stderr)
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

const XDS_TYPES = ["CDS", "LDS", "EDS", "RDS", "ECDS"];
const TYPE_URLS = {
  CDS: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  LDS: "type.googleapis.com/envoy.config.listener.v3.Listener",
  EDS: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  RDS: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  ECDS: "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
};
const VALUE_FLAGS = new Set([
  "-o", "--output", "-n", "--namespace", "-i", "--istioNamespace", "-c", "--kubeconfig", "--context",
  "-r", "--revision", "-v", "--vklog", "--port", "--address", "--fqdn", "--direction", "--subset", "--type",
  "--cluster", "--log_output_level", "--failure-threshold", "--output-threshold", "--remote", "--proxy-admin-port",
  "--istiod", "--name", "--file", "-f",
]);
/** The exit code istioctl analyze uses when it found issues at or above the failure threshold. */
const ANALYZE_FOUND_ISSUES = 79;

class Failure extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

const env = process.env;
const argv = process.argv.slice(2);

if (env.FAKE_ISTIOCTL_LOG) appendFileSync(env.FAKE_ISTIOCTL_LOG, `${JSON.stringify({ argv })}\n`);
const sleepMs = Number(env.FAKE_ISTIOCTL_SLEEP_MS ?? 0);
if (sleepMs > 0) await sleep(sleepMs);

try {
  const forced = env.FAKE_ISTIOCTL_EXIT === undefined || env.FAKE_ISTIOCTL_EXIT === "" ? 0 : Number(env.FAKE_ISTIOCTL_EXIT);
  if (forced !== 0) throw new Failure(`Error: fake istioctl told to fail (FAKE_ISTIOCTL_EXIT=${forced})`, forced);
  process.exitCode = run(parseArgs(argv));
} catch (err) {
  if (!(err instanceof Failure)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exitCode = err.code;
}

function run({ positional, flags }) {
  const [command, ...args] = positional;
  switch (command) {
    case "proxy-status":
    case "ps":
      return proxyStatus(args, flags);
    case "proxy-config":
    case "pc":
      return proxyConfig(args, flags);
    case "analyze":
      return analyze(flags);
    case "experimental":
    case "x":
      if (args[0] !== "envoy-stats") throw new Failure(`Error: unknown command "${args[0] ?? ""}" for "istioctl experimental"`);
      return envoyStats(args.slice(1), flags);
    case "version":
      return version(flags);
    case undefined:
      process.stdout.write("Istio configuration command line utility (fake, for tests).\n");
      return 0;
    default:
      throw new Failure(`Error: unknown command "${command}" for "istioctl"\nRun 'istioctl --help' for usage.`);
  }
}

function parseArgs(args) {
  const positional = [];
  const flags = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) {
      flags[arg.slice(0, eq)] = arg.slice(eq + 1);
    } else if (VALUE_FLAGS.has(arg) && i + 1 < args.length) {
      flags[arg] = args[++i];
    } else {
      flags[arg] = "true";
    }
  }
  return { positional, flags };
}

function flag(flags, ...names) {
  for (const name of names) if (flags[name] !== undefined) return flags[name];
  return undefined;
}

function snapshotDir() {
  const dir = env.FAKE_ISTIOCTL_DIR;
  if (!dir) throw new Failure("Error: fake istioctl: FAKE_ISTIOCTL_DIR is not set", 2);
  return dir;
}

function istioVersion() {
  return env.FAKE_ISTIOCTL_VERSION || "1.26.4";
}

// ---- proxy-status -------------------------------------------------------------------------------

function proxyStatus(args, flags) {
  const dir = snapshotDir();
  const output = flag(flags, "-o", "--output");
  const format = env.FAKE_ISTIOCTL_PROXY_STATUS_FORMAT || (output === "json" ? "json" : undefined);
  const txt = path.join(dir, "proxy-status.txt");
  const json = path.join(dir, "proxy-status.json");
  const raw = existsSync(txt) ? readFileSync(txt, "utf8") : existsSync(json) ? readFileSync(json, "utf8") : undefined;
  if (format === undefined && raw !== undefined && args.length === 0 && existsSync(txt)) {
    process.stdout.write(raw);
    return 0;
  }
  let rows = raw === undefined ? [] : raw.trim().startsWith("{") ? rowsFromJson(raw) : rowsFromTable(raw);
  const [only] = args;
  if (only !== undefined) rows = rows.filter((r) => r.name === only || r.name.startsWith(`${only}.`));
  if (format === "json") {
    process.stdout.write(`${JSON.stringify(toDiscoveryResponse(rows), null, 2)}\n`);
  } else if (format === "pre127" || flag(flags, "-v", "--vklog") !== undefined) {
    process.stdout.write(table(["NAME", "CLUSTER", ...XDS_TYPES, "ISTIOD", "VERSION"], rows.map((r) => [r.name, r.cluster, ...XDS_TYPES.map((t) => r.types[t] ?? "NOT SENT"), r.istiod, r.version])));
  } else if (format === undefined || format === "127") {
    process.stdout.write(table(["NAME", "CLUSTER", "ISTIOD", "VERSION", "SUBSCRIBED TYPES"], rows.map((r) => [r.name, r.cluster, r.istiod, r.version, subscribed(r)])));
  } else {
    throw new Failure(`Error: fake istioctl: unknown FAKE_ISTIOCTL_PROXY_STATUS_FORMAT "${format}" (pre127, 127 or json)`, 2);
  }
  return 0;
}

function rowsFromTable(text) {
  const [header = "", ...lines] = text.trim().split("\n");
  const columns = header.trim().split(/\s{2,}/);
  return lines
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const cells = line.trim().split(/\s{2,}/);
      const cell = (name) => cells[columns.indexOf(name)] ?? "";
      const types = {};
      for (const t of XDS_TYPES) if (columns.includes(t)) types[t] = cell(t);
      const subscribedTypes = /\(([^)]*)\)/.exec(cell("SUBSCRIBED TYPES"))?.[1];
      if (subscribedTypes) for (const t of subscribedTypes.split(",")) types[t.trim()] = "SYNCED";
      return { name: cell("NAME"), cluster: cell("CLUSTER"), istiod: cell("ISTIOD"), version: cell("VERSION"), types };
    });
}

function rowsFromJson(text) {
  const response = JSON.parse(text);
  let istiod = "";
  try {
    istiod = JSON.parse(response.controlPlane?.identifier ?? "{}").ID ?? "";
  } catch {
    istiod = "";
  }
  return (response.resources ?? []).map((resource) => {
    const id = resource.node?.id ?? "";
    const types = {};
    for (const config of resource.genericXdsConfigs ?? []) {
      const short = Object.keys(TYPE_URLS).find((t) => TYPE_URLS[t] === config.typeUrl);
      if (short) types[short] = String(config.configStatus ?? "").replace(/_/g, " ");
    }
    return {
      name: id.includes("~") ? (id.split("~")[2] ?? id) : id,
      cluster: resource.node?.metadata?.CLUSTER_ID ?? "",
      istiod,
      version: resource.node?.metadata?.ISTIO_VERSION ?? "",
      types,
    };
  });
}

function statusWord(text) {
  const upper = (text ?? "").toUpperCase();
  if (upper.startsWith("NOT SENT")) return "NOT_SENT";
  return upper.split(" ")[0] || "UNKNOWN";
}

function subscribed(row) {
  const types = XDS_TYPES.filter((t) => row.types[t] !== undefined && !["NOT_SENT", "IGNORED"].includes(statusWord(row.types[t])));
  return `${types.length} (${types.join(",")})`;
}

function toDiscoveryResponse(rows) {
  const istiod = rows[0]?.istiod ?? "";
  return {
    versionInfo: istioVersion(),
    resources: rows.map((r) => ({
      "@type": "type.googleapis.com/envoy.service.status.v3.ClientConfig",
      node: { id: r.name, metadata: { CLUSTER_ID: r.cluster, ISTIO_VERSION: r.version, NAMESPACE: r.name.slice(r.name.lastIndexOf(".") + 1) } },
      genericXdsConfigs: XDS_TYPES.filter((t) => r.types[t] !== undefined && statusWord(r.types[t]) !== "IGNORED").map((t) => ({
        typeUrl: TYPE_URLS[t],
        configStatus: statusWord(r.types[t]),
      })),
    })),
    typeUrl: "type.googleapis.com/envoy.service.status.v3.ClientConfig",
    controlPlane: { identifier: JSON.stringify({ Component: "istiod", ID: istiod, Info: { version: istioVersion() } }) },
  };
}

/** Aligns columns as Go's tabwriter does for istioctl (padding 5, the last column unpadded). */
function table(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? "").length)));
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? String(cell) : String(cell).padEnd(widths[i] + 5))).join(""))
    .join("\n")
    .concat("\n");
}

// ---- proxy-config -------------------------------------------------------------------------------

function proxyConfig(args, flags) {
  const [type, target] = args;
  const types = ["all", "bootstrap", "cluster", "clusters", "endpoint", "endpoints", "listener", "listeners", "route", "routes", "secret", "secrets", "ecds"];
  if (!types.includes(type)) throw new Failure(`Error: unknown command "${type ?? ""}" for "istioctl proxy-config"`);
  if (!target) throw new Failure("Error: pod name or --file is required");
  if (flag(flags, "-o", "--output") !== "json") {
    throw new Failure("Error: fake istioctl prints proxy-config only as JSON: pass -o json", 2);
  }
  const dot = target.indexOf(".");
  const pod = dot < 0 ? target : target.slice(0, dot);
  const namespace = dot < 0 ? (flag(flags, "-n", "--namespace") ?? "default") : target.slice(dot + 1);
  const file = path.join(snapshotDir(), "proxies", namespace, pod, "config_dump.json");
  if (!existsSync(file)) {
    throw new Failure(`Error: failed to execute command on sidecar: error execing into ${pod}/${namespace} istio-proxy container: pods "${pod}" not found`);
  }
  process.stdout.write(readFileSync(file, "utf8"));
  return 0;
}

// ---- experimental envoy-stats -------------------------------------------------------------------

function envoyStats(args, flags) {
  const [target] = args;
  if (!target) throw new Failure("Error: requires at least 1 arg(s), only received 0");
  if (flag(flags, "-o", "--output") !== "prom") throw new Failure("Error: fake istioctl prints envoy-stats only as --output prom", 2);
  const dot = target.indexOf(".");
  const pod = dot < 0 ? target : target.slice(0, dot);
  const namespace = dot < 0 ? (flag(flags, "-n", "--namespace") ?? "default") : target.slice(dot + 1);
  const file = path.join(snapshotDir(), "proxies", namespace, pod, "stats.txt");
  if (!existsSync(file)) throw new Failure(`Error: failure running port forward process: pods "${pod}" not found`);
  process.stdout.write(readFileSync(file, "utf8"));
  return 0;
}

// ---- analyze ------------------------------------------------------------------------------------

function analyze(flags) {
  const file = path.join(snapshotDir(), "istioctl-analyze.json");
  const messages = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
  if (flag(flags, "-o", "--output") === "json") {
    process.stdout.write(`${JSON.stringify(messages, null, 2)}\n`);
  } else if (messages.length === 0) {
    process.stdout.write("\u2714 No validation issues found when analyzing namespace: default.\n");
  } else {
    for (const m of messages) process.stdout.write(`${m.level} [${m.code}] ${m.origin ? `(${m.origin}) ` : ""}${m.message}\n`);
  }
  const threshold = (flag(flags, "--failure-threshold") ?? "Error").toLowerCase();
  const ranks = { info: 0, warning: 1, error: 2 };
  const fails = messages.some((m) => (ranks[String(m.level).toLowerCase()] ?? 0) >= (ranks[threshold] ?? 2));
  return fails ? ANALYZE_FOUND_ISSUES : 0;
}

// ---- version ------------------------------------------------------------------------------------

function version(flags) {
  const v = istioVersion();
  const remote = flag(flags, "--remote") !== "false";
  const info = { version: v, revision: "fake", golang_version: "go1.24.6", status: "Clean", tag: v };
  const output = flag(flags, "-o", "--output");
  if (output === "json") {
    const body = { clientVersion: info };
    if (remote) body.meshVersion = [{ Component: "istiod", Revision: "default", Info: info }];
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else if (output === "short") {
    process.stdout.write(`${v}\n`);
  } else {
    process.stdout.write(`client version: ${v}\n`);
    if (remote) process.stdout.write(`control plane version: ${v}\ndata plane version: ${v}\n`);
  }
  return 0;
}
