import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { parseProxyStatus } from "../proxy/proxy-status.js";
import { formatSeconds } from "./kube-client.js";
import type { AnalyzeMessage, ProxyStatusEntry } from "./snapshot.js";

export const DEFAULT_ISTIOCTL_TIMEOUT_MS = 60_000;
/** Enough for the proxy status of a large mesh or one big config dump. */
export const DEFAULT_ISTIOCTL_MAX_BYTES = 64 * 1024 * 1024;

export interface IstioctlResult {
  ok: boolean;
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** Why the run did not succeed, in words a person can act on. */
  failure?: string;
}

export interface RunIstioctlOptions {
  timeoutMs?: number;
  maxBytes?: number;
  /** The istioctl executable; default: what findIstioctl() finds. */
  binary?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs istioctl on behalf of the collector; a fake stands in for it in tests. */
export interface IstioctlRunner {
  readonly binary: string;
  run(args: readonly string[], options?: { timeoutMs?: number; maxBytes?: number }): Promise<IstioctlResult>;
}

/**
 * The istioctl to use: `ISTIOCTL` when set (a path), else the first `istioctl` on `PATH`.
 * Returns null when there is none; istioctlMissingReason() says why.
 */
export function findIstioctl(env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = env["ISTIOCTL"];
  if (explicit) return isExecutable(explicit) ? path.resolve(explicit) : null;
  const names = process.platform === "win32" ? ["istioctl.exe", "istioctl"] : ["istioctl"];
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

/** Why findIstioctl() found nothing, and what to do about it. */
export function istioctlMissingReason(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["ISTIOCTL"];
  if (explicit) return `ISTIOCTL is set to ${explicit}, which is not an executable file: fix the path or unset ISTIOCTL`;
  return "istioctl is not on PATH: install the istioctl that matches the mesh's version, or set ISTIOCTL to its path";
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs istioctl with arguments as an array (never through a shell), a timeout and a cap on the
 * output. Never throws: a run that cannot start, times out, overflows or exits non-zero comes back
 * with `ok: false` and the reason.
 */
export async function runIstioctl(args: readonly string[], options: RunIstioctlOptions = {}): Promise<IstioctlResult> {
  const binary = options.binary ?? findIstioctl(options.env);
  if (binary === null) return { ok: false, stdout: "", stderr: "", failure: istioctlMissingReason(options.env) };
  const timeoutMs = options.timeoutMs ?? DEFAULT_ISTIOCTL_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_ISTIOCTL_MAX_BYTES;
  const result = await execa(binary, [...args], {
    reject: false,
    timeout: timeoutMs,
    maxBuffer: maxBytes,
    stdin: "ignore",
    stripFinalNewline: false,
    ...(options.env ? { env: options.env, extendEnv: false } : {}),
  });
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  const command = `istioctl ${args.join(" ")}`;
  const base: IstioctlResult = { ok: false, stdout, stderr };
  if (result.exitCode !== undefined) base.exitCode = result.exitCode;
  if (result.code === "ENOENT" || result.code === "EACCES") {
    return { ...base, failure: `${binary} cannot be run (${result.code}): install istioctl or set ISTIOCTL to its path` };
  }
  if (result.timedOut) {
    return { ...base, failure: `${command} gave no result within ${formatSeconds(timeoutMs)} (the mesh may be large or the API server slow: retry)` };
  }
  if (result.isMaxBuffer) {
    return { ...base, failure: `${command} printed more than ${maxBytes} bytes, the limit (narrow the request)` };
  }
  if (result.failed) {
    const detail = lastLines(stderr) || result.shortMessage || "failed";
    return { ...base, failure: `${command} failed${result.exitCode !== undefined ? ` (exit ${result.exitCode})` : ""}: ${detail}` };
  }
  return { ...base, ok: true };
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-3).join(" ").slice(0, 300);
}

export interface IstioctlRunnerOptions {
  binary: string;
  /** Passed as `--kubeconfig` / `--context` so istioctl talks to the cluster the collector reads. */
  kubeconfig?: string;
  context?: string;
  timeoutMs?: number;
  maxBytes?: number;
  env?: NodeJS.ProcessEnv;
}

export function createIstioctlRunner(options: IstioctlRunnerOptions): IstioctlRunner {
  const cluster: string[] = [];
  if (options.kubeconfig !== undefined) cluster.push("--kubeconfig", options.kubeconfig);
  if (options.context !== undefined) cluster.push("--context", options.context);
  return {
    binary: options.binary,
    run: (args, overrides = {}) => {
      const run: RunIstioctlOptions = {
        binary: options.binary,
        timeoutMs: overrides.timeoutMs ?? options.timeoutMs ?? DEFAULT_ISTIOCTL_TIMEOUT_MS,
        maxBytes: overrides.maxBytes ?? options.maxBytes ?? DEFAULT_ISTIOCTL_MAX_BYTES,
      };
      if (options.env) run.env = options.env;
      return runIstioctl([...args, ...cluster], run);
    },
  };
}

/** The istioctl on PATH (or ISTIOCTL) as a runner, or null when there is none. */
export function defaultIstioctlRunner(
  cluster: { kubeconfig?: string; context?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): IstioctlRunner | null {
  const binary = findIstioctl(env);
  return binary === null ? null : createIstioctlRunner({ binary, ...cluster });
}

export interface ProxyStatusResult {
  entries?: ProxyStatusEntry[];
  /** istioctl's output as printed, kept so that a snapshot stores what istioctl said. */
  text?: string;
  failure?: string;
}

/**
 * `istioctl proxy-status`: `-o json` first (1.30+, per-type states for every proxy), then the plain
 * table (the pre-1.27 per-type columns or the 1.27+ layout) when this istioctl does not know `-o` or
 * printed something that does not parse.
 */
export async function istioctlProxyStatus(runner: IstioctlRunner): Promise<ProxyStatusResult> {
  const json = await runner.run(["proxy-status", "-o", "json"]);
  const parsedJson = json.ok ? tryParseProxyStatus(json.stdout) : undefined;
  if (parsedJson !== undefined) return { entries: parsedJson, text: json.stdout };
  const table = await runner.run(["proxy-status"]);
  if (!table.ok) return { failure: table.failure ?? json.failure ?? "istioctl proxy-status failed" };
  const parsedTable = tryParseProxyStatus(table.stdout);
  if (parsedTable === undefined) {
    return { failure: `istioctl proxy-status printed what mtls-doctor cannot read: ${lastLines(table.stdout)}` };
  }
  return { entries: parsedTable, text: table.stdout };
}

function tryParseProxyStatus(text: string): ProxyStatusEntry[] | undefined {
  try {
    return parseProxyStatus(text);
  } catch {
    return undefined;
  }
}

/** `istioctl proxy-config all <pod>.<ns> -o json`: the config dump through istioctl (port-forward, not exec). */
export async function istioctlConfigDump(
  runner: IstioctlRunner,
  namespace: string,
  pod: string,
  options: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<{ configDump?: unknown; failure?: string }> {
  const result = await runner.run(["proxy-config", "all", `${pod}.${namespace}`, "-o", "json"], options);
  if (!result.ok) return { failure: result.failure ?? "istioctl proxy-config failed" };
  try {
    return { configDump: JSON.parse(result.stdout) };
  } catch {
    return { failure: `istioctl proxy-config all ${pod}.${namespace} -o json did not print JSON: ${lastLines(result.stdout)}` };
  }
}

/**
 * `istioctl experimental envoy-stats <pod>.<ns> --output prom`: the proxy's stats/prometheus through
 * a port-forward to its admin port, for clusters where exec into the sidecar is forbidden.
 */
export async function istioctlEnvoyStats(
  runner: IstioctlRunner,
  namespace: string,
  pod: string,
  options: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<{ stats?: string; failure?: string }> {
  const result = await runner.run(["experimental", "envoy-stats", `${pod}.${namespace}`, "--output", "prom"], options);
  if (!result.ok) return { failure: result.failure ?? "istioctl experimental envoy-stats failed" };
  return { stats: result.stdout };
}

/** `istioctl analyze -o json` for each namespace (or every namespace), messages merged. */
export async function istioctlAnalyze(
  runner: IstioctlRunner,
  namespaces: readonly string[] | "all",
): Promise<{ messages?: AnalyzeMessage[]; failure?: string }> {
  const scopes = namespaces === "all" ? [["--all-namespaces"]] : namespaces.map((ns) => ["--namespace", ns]);
  const results = await Promise.all(scopes.map((scope) => runner.run(["analyze", ...scope, "-o", "json"])));
  const messages: AnalyzeMessage[] = [];
  const failures: string[] = [];
  for (const result of results) {
    // analyze exits non-zero when it finds errors: its JSON is still the answer.
    const parsed = result.stdout.trim() === "" && result.ok ? [] : tryParseAnalyze(result.stdout);
    if (parsed) messages.push(...parsed);
    else failures.push(result.failure ?? `istioctl analyze printed what mtls-doctor cannot read: ${lastLines(result.stdout)}`);
  }
  if (failures.length > 0) return { failure: failures.join("; ") };
  const seen = new Set<string>();
  return {
    messages: messages.filter((m) => {
      const key = `${m.code}|${m.resource ?? ""}|${m.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  };
}

function tryParseAnalyze(text: string): AnalyzeMessage[] | undefined {
  try {
    return parseAnalyzeJson(text);
  } catch {
    return undefined;
  }
}

/** Kinds istioctl names without a namespace (`Namespace default`): their names are never split. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "CustomResourceDefinition",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ClusterRole",
  "ClusterRoleBinding",
  "GatewayClass",
]);

/**
 * Parses `istioctl analyze -o json`: an array of `{ code, level, message, origin?, reference?,
 * documentationUrl }`, where `origin` is `Kind name.namespace` (istioctl's convention) or `Kind name`
 * for cluster-scoped objects. `resource` becomes `Kind namespace/name` as findings name resources.
 */
export function parseAnalyzeJson(text: string): AnalyzeMessage[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const parsed: unknown = JSON.parse(trimmed);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const messages: AnalyzeMessage[] = [];
  for (const item of list) {
    if (item === null || typeof item !== "object") continue;
    const m = item as Record<string, unknown>;
    if (typeof m["code"] !== "string") continue;
    const message: AnalyzeMessage = {
      code: m["code"],
      level: typeof m["level"] === "string" ? m["level"] : "Info",
      message: typeof m["message"] === "string" ? m["message"] : "",
    };
    const resource = typeof m["origin"] === "string" ? originToResource(m["origin"]) : undefined;
    if (resource !== undefined) message.resource = resource;
    messages.push(message);
  }
  return messages;
}

function originToResource(origin: string): string | undefined {
  const space = origin.indexOf(" ");
  if (space <= 0) return undefined;
  const kind = origin.slice(0, space);
  const name = origin.slice(space + 1).trim();
  if (CLUSTER_SCOPED.has(kind)) return `${kind} ${name}`;
  // Namespaces cannot contain dots, so the last dot separates name and namespace.
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${kind} ${name.slice(dot + 1)}/${name.slice(0, dot)}` : `${kind} ${name}`;
}

/** A preflight asks only for the client's version: it should answer within seconds. */
export const ISTIOCTL_VERSION_TIMEOUT_MS = 10_000;

/**
 * `istioctl version --remote=false`: the client's version ("client version: 1.26.4", or the bare
 * version older releases print), without contacting the control plane.
 */
export async function istioctlVersion(runner: IstioctlRunner, timeoutMs = ISTIOCTL_VERSION_TIMEOUT_MS): Promise<{ version?: string; failure?: string }> {
  const result = await runner.run(["version", "--remote=false"], { timeoutMs, maxBytes: 64 * 1024 });
  if (!result.ok) return { failure: result.failure ?? "istioctl version failed" };
  const match = /(?:client version:\s*)?v?(\d+\.\d+\.\d+[^\s]*)/i.exec(result.stdout);
  if (!match?.[1]) return { failure: `istioctl version --remote=false printed no version: ${lastLines(result.stdout)}` };
  return { version: match[1] };
}
