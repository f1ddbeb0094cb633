import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ServerConfiguration,
  type RequestContext,
} from "@kubernetes/client-node";

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
const USER_AGENT = "mtls-doctor";

/** The kubeconfig could not be loaded or names no usable cluster. */
export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
  readonly code = "KUBECONFIG";
}

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; else `KUBECONFIG`, else `~/.kube/config`, else the pod's ServiceAccount. */
  kubeconfig?: string;
  /** A context of that kubeconfig; else its current context. */
  context?: string;
}

/**
 * Loads the credentials mtls-doctor talks to the cluster with: the file given, else `KUBECONFIG`
 * (several files joined with the path delimiter merge as kubectl merges them), else `~/.kube/config`,
 * else the in-cluster ServiceAccount when running in a pod. Unlike client-node's `loadFromDefault`,
 * it never falls back to `http://localhost:8080`: no configuration is an error that says what to set.
 */
export function loadKubeConfig(
  options: LoadKubeConfigOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig {
  const kc = new KubeConfig();
  const fromEnv = (env["KUBECONFIG"] ?? "").split(path.delimiter).filter((f) => f !== "");
  const home = path.join(env["HOME"] ?? os.homedir(), ".kube", "config");
  let described: string;
  let inCluster = false;
  if (options.kubeconfig !== undefined) {
    loadFiles(kc, [options.kubeconfig], "--kubeconfig");
    described = `kubeconfig ${options.kubeconfig}`;
  } else if (fromEnv.length > 0) {
    loadFiles(kc, fromEnv, "KUBECONFIG");
    described = `kubeconfig ${fromEnv.join(path.delimiter)} (from KUBECONFIG)`;
  } else if (existsSync(home)) {
    loadFiles(kc, [home], "the default kubeconfig");
    described = `kubeconfig ${home}`;
  } else if (env["KUBERNETES_SERVICE_HOST"] && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
    described = "the in-cluster ServiceAccount";
    inCluster = true;
  } else {
    throw new KubeConfigError(
      "no Kubernetes credentials found: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, " +
        "or run mtls-doctor in a pod with a ServiceAccount (or use --snapshot DIR for offline input)",
    );
  }
  if (options.context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(options.context)) {
      throw new KubeConfigError(
        `context "${options.context}" is not in ${described}: use one of ${names.length > 0 ? names.join(", ") : "(none defined)"}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const current = kc.getCurrentContext();
  if (!current || !kc.getContextObject(current)) {
    throw new KubeConfigError(`${described} has no current context: pass --context NAME or run kubectl config use-context NAME`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubeConfigError(`context "${current}" of ${described} names no cluster with a server URL: fix the kubeconfig`);
  }
  if (!inCluster) {
    const origin: KubeConfigOrigin = { context: current };
    if (options.kubeconfig !== undefined) origin.kubeconfig = options.kubeconfig;
    origins.set(kc, origin);
  }
  return kc;
}

/** Where a KubeConfig came from, for programs that must talk to the same cluster (istioctl). */
export interface KubeConfigOrigin {
  /** The file given with --kubeconfig; otherwise other programs find the same files (KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  context?: string;
}

const origins = new WeakMap<KubeConfig, KubeConfigOrigin>();

/**
 * The `--kubeconfig` / `--context` that make istioctl read the cluster this KubeConfig reads. Empty
 * for in-cluster credentials (istioctl finds them itself) and for KubeConfigs not made by loadKubeConfig.
 */
export function kubeConfigOrigin(kc: KubeConfig): KubeConfigOrigin {
  return { ...origins.get(kc) };
}

function loadFiles(kc: KubeConfig, files: string[], origin: string): void {
  for (const [i, file] of files.entries()) {
    if (!existsSync(file)) {
      throw new KubeConfigError(`kubeconfig ${file} (${origin}) does not exist: check the path`);
    }
    const target = i === 0 ? kc : new KubeConfig();
    try {
      target.loadFromFile(file);
    } catch (err) {
      throw new KubeConfigError(`kubeconfig ${file} (${origin}) cannot be read: ${(err as Error).message}`);
    }
    if (target !== kc) kc.mergeConfig(target, true);
  }
}

/** The namespace of the current context, the default for live targets given without one. */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || "default";
}

/** What a request was trying to do, for messages and RBAC advice. */
export interface KubeAction {
  verb: "get" | "list" | "create";
  /** Plural resource, with its group for non-core kinds (`peerauthentications.security.istio.io`), or a subresource (`pods/exec`). */
  resource: string;
  namespace?: string;
  name?: string;
}

export type KubeFailureKind = "forbidden" | "unauthorized" | "not-found" | "gone" | "timeout" | "too-large" | "http" | "network";

/** A Kubernetes API request that did not succeed; its message says what to do next. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    readonly failure: KubeFailureKind,
    readonly action: KubeAction,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** `list pods in namespace prod`, `get namespace prod`, `create pods/exec on prod/web-1`. */
export function describeAction(action: KubeAction): string {
  const scope = action.namespace === undefined ? "" : action.name === undefined ? ` in namespace ${action.namespace}` : "";
  if (action.name !== undefined) {
    const target = action.namespace === undefined ? action.name : `${action.namespace}/${action.name}`;
    if (action.resource.includes("/")) return `${action.verb} ${action.resource} of ${target}`;
    return `${action.verb} ${action.resource} ${target}`;
  }
  return `${action.verb} ${action.resource}${scope}`;
}

/** The verb in the form "cannot …" reads well with: `cannot list pods in namespace prod`. */
export function failureReason(
  failure: KubeFailureKind,
  action: KubeAction,
  detail: { status?: number; serverMessage?: string; timeoutMs?: number; server?: string },
): string {
  const what = `cannot ${describeAction(action)}`;
  const where = action.namespace === undefined ? "cluster-wide (a ClusterRole)" : `in namespace ${action.namespace}`;
  switch (failure) {
    case "forbidden":
      return `${what}: forbidden (grant the mtls-doctor ServiceAccount, or your user, "${action.verb}" on ${action.resource} ${where})`;
    case "unauthorized":
      return `${what}: unauthorized (the API server refused the credentials: refresh them or pick another --context)`;
    case "not-found":
      return `${what}: not found (the API server does not serve it: check the cluster version and installed CRDs)`;
    case "gone":
      return `${what}: the list changed while it was paged through (retry)`;
    case "timeout":
      return `${what}: no answer within ${formatSeconds(detail.timeoutMs ?? 0)} (check that the API server is reachable and not overloaded, then retry)`;
    case "too-large":
      return `${what}: ${detail.serverMessage ?? "the answer is too large"}`;
    case "http":
      return `${what}: the API server answered ${detail.status ?? "an error"}${detail.serverMessage ? `: ${detail.serverMessage}` : ""} (retry; if it persists, check the API server's health)`;
    case "network":
      return `${what}: ${detail.serverMessage ?? "connection failed"} (check that the API server${detail.server ? ` at ${detail.server}` : ""} is reachable)`;
  }
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

export function failureForStatus(status: number): KubeFailureKind {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 410) return "gone";
  return "http";
}

export interface KubeClientOptions {
  /** Per request, from sending it to the last byte of the answer. */
  timeoutMs?: number;
  /** Requests in flight at once. */
  maxConcurrency?: number;
}

export const DEFAULT_API_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_CONCURRENCY = 16;

/**
 * Read-only access to the API server as raw JSON, through client-node's request context, its
 * kubeconfig authentication (tokens, client certificates, exec plugins, in-cluster) and its HTTP
 * library. Raw rather than the typed clients on purpose: a snapshot keeps objects exactly as the
 * API server sent them (as `kubectl get -o yaml` prints them), without the typed models' lossy
 * round trip (timestamps become Dates, fields the model does not know are dropped).
 */
export class KubeClient {
  readonly timeoutMs: number;
  private readonly server: ServerConfiguration<Record<string, string>>;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly limit: Semaphore;
  private dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  constructor(
    readonly kc: KubeConfig,
    options: KubeClientOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeConfigError(`context "${kc.getCurrentContext()}" names no cluster: fix the kubeconfig`);
    this.server = new ServerConfiguration(cluster.server.replace(/\/+$/, ""), {});
    this.timeoutMs = options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
    this.limit = new Semaphore(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
  }

  get serverUrl(): string {
    return this.kc.getCurrentCluster()?.server ?? "";
  }

  /** GETs a path and parses the JSON answer. */
  async getJson(apiPath: string, query: Record<string, string | number | undefined>, action: KubeAction): Promise<unknown> {
    const text = await this.getText(apiPath, query, action, "application/json");
    try {
      return JSON.parse(text);
    } catch {
      throw new KubeApiError("http", action, `cannot ${describeAction(action)}: the API server's answer is not JSON (is ${this.serverUrl} a Kubernetes API server?)`);
    }
  }

  /** GETs a path and returns the body as text (pod logs). */
  async getText(
    apiPath: string,
    query: Record<string, string | number | undefined>,
    action: KubeAction,
    accept = "*/*",
  ): Promise<string> {
    return this.limit.run(async () => {
      const ctx = this.server.makeRequestContext(apiPath, HttpMethod.GET);
      for (const [key, value] of Object.entries(query)) if (value !== undefined) ctx.setQueryParam(key, String(value));
      ctx.setHeaderParam("Accept", accept);
      ctx.setHeaderParam("User-Agent", USER_AGENT);
      return this.send(ctx, action);
    });
  }

  private async send(ctx: RequestContext, action: KubeAction): Promise<string> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      await this.kc.applySecurityAuthentication(ctx);
      // client-node builds a new TLS agent for every request; one per client keeps connections alive
      // across the collection's requests instead of a TLS handshake each.
      const dispatcher = ctx.getDispatcher();
      if (dispatcher !== undefined) {
        this.dispatcher ??= dispatcher;
        ctx.setDispatcher(this.dispatcher);
      }
      ctx.setSignal(signal);
      const response = await this.http.send(ctx).toPromise();
      const body = await response.body.text();
      if (response.httpStatusCode >= 200 && response.httpStatusCode < 300) return body;
      const status = response.httpStatusCode;
      const failure = failureForStatus(status);
      const serverMessage = statusMessage(body);
      throw new KubeApiError(failure, action, failureReason(failure, action, { status, serverMessage }), status);
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      if (signal.aborted) {
        throw new KubeApiError("timeout", action, failureReason("timeout", action, { timeoutMs: this.timeoutMs }));
      }
      const serverMessage = networkMessage(err);
      throw new KubeApiError("network", action, failureReason("network", action, { serverMessage, server: this.serverUrl }));
    }
  }
}

/** The `message` of a Kubernetes `Status` body, else the body's first line. */
function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not a Status object: fall through to the raw text
  }
  const line = body.trim().split("\n")[0];
  return line ? line.slice(0, 200) : undefined;
}

function networkMessage(err: unknown): string {
  const error = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = error.cause?.code ?? error.cause?.message;
  return [error.message ?? String(err), cause].filter(Boolean).join(": ");
}

/** Runs at most `size` tasks at once, in the order they asked. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so `active` never overshoots.
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
