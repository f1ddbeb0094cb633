import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { WebSocketServer } from "ws";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { KubeObject } from "../../src/cluster/kube-types.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import type { ClusterSnapshot } from "../../src/cluster/snapshot.js";
import { discoveryDocument, FAKE_KUBE_RESOURCES, findResource, groupVersion, OPTIONAL_GROUPS, resourceForKind, type FakeResource } from "./fake-kube-resources.js";
import { FakeKubeStore, PATCH_TYPES, type StoredObject, type StoreEvent, type WatchEventType } from "./fake-kube-store.js";
import { KubeStatusError } from "./kube-status-error.js";
import { isPlainObject } from "./merge-patch.js";
import { parseFieldSelector, type FieldMatcher } from "./parse-field-selector.js";
import { parseLabelSelector, type LabelMatcher } from "./parse-label-selector.js";
import { chooseExecProtocol, runFakeExec } from "./run-fake-exec.js";

/** What a request does, as a rule names it. `exec` is `pods/exec`, `log` is `pods/log`. */
export type FakeVerb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "exec" | "log";

/**
 * Selects requests to answer with an error. Every field that is set must match; rules only match
 * resource requests (never discovery, `/version` or `/healthz`).
 */
export interface FakeRule {
  verb?: FakeVerb;
  /** Plural, optionally with group or subresource: `pods`, `pods/exec`, `peerauthentications.security.istio.io`. */
  resource?: string;
  namespace?: string;
  name?: string;
  /** The HTTP status to answer (`fail` rules; default 500). */
  status?: number;
  /** Replaces the default message of the answered Status. */
  message?: string;
  /** Only the first N matching requests are answered with the error. */
  times?: number;
  /** Match only dry-run requests (true) or only real writes (false). */
  dryRun?: boolean;
}

/** What can change while the fake runs (`setOptions`). */
export interface FakeKubeApiSettings {
  /** Added to every request, WebSocket upgrades included. */
  latencyMs?: number;
  /** Answered 403 Forbidden with RBAC's message. */
  forbid?: FakeRule[];
  /** Answered with `status` (default 500 InternalError). */
  fail?: FakeRule[];
  /** Writes (create, update, patch, delete) answered 409 Conflict. */
  conflict?: FakeRule[];
  /** The largest page a list answers, whatever `limit` asked (also without `limit`). */
  pageSizeCap?: number;
  /** The user named in Forbidden messages. */
  user?: string;
}

export interface FakeKubeApiOptions extends FakeKubeApiSettings {
  /** A snapshot object, or the path of a snapshot directory. */
  snapshot: ClusterSnapshot | string;
}

export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** Query parameters (the last value where one repeats; exec's `command` is in `command`). */
  query: Record<string, string>;
  /** "get" for non-resource requests (discovery, `/version`, `/healthz`), which have no `resource`. */
  verb: FakeVerb;
  /** Resource requests: the plural, with `/subresource` when there is one (`pods/log`). */
  resource?: string;
  /** Resource requests: the API group ("" for core). */
  group?: string;
  version?: string;
  namespace?: string;
  name?: string;
  /** The parsed body (JSON or YAML), or the raw text when it did not parse. */
  body?: unknown;
  contentType?: string;
  /** `dryRun=All` was asked (query, or DeleteOptions body). */
  dryRun: boolean;
  /** Exec: the command's argv. */
  command?: string[];
  /** The HTTP status answered (101 for an accepted exec upgrade); undefined until answered. */
  status?: number;
}

export interface FakeKubeApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** A KubeConfig pointing at the fake: token user, skipTLSVerify, namespace "default". */
  kubeConfig(): KubeConfig;
  /** The same configuration as kubeconfig file text (for `--kubeconfig`). */
  kubeconfigYaml(): string;
  /** Every request in arrival order (the same array for the fake's lifetime). */
  readonly requests: RecordedRequest[];
  resetRequests(): void;
  /** The stored state (after writes) as a fresh ClusterSnapshot. */
  objects(): ClusterSnapshot;
  /** One stored object by kind (fresh clone), or undefined. */
  getObject(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Stores an object as someone else would (no validation); watches see it. Returns the stored clone. */
  putObject(obj: KubeObject): KubeObject;
  /** Deletes an object as someone else would; watches see it. Returns whether it existed. */
  deleteObject(kind: string, namespace: string | undefined, name: string): boolean;
  /** Changes latency, rules or page size from now on; fields not given stay as they are. */
  setOptions(settings: FakeKubeApiSettings): void;
  /** Stops listening and drops every connection, open watches and exec streams included. */
  close(): Promise<void>;
}

const DEFAULT_USER = "system:serviceaccount:mtls:mtls-doctor";
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const WRITE_VERBS: readonly FakeVerb[] = ["create", "update", "patch", "delete"];
/** The verb RBAC checks for a request, where it differs from the fake's name for it. */
const RBAC_VERB: Partial<Record<FakeVerb, string>> = { exec: "create", log: "get" };

interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
}

interface Answer {
  status: number;
  body: unknown;
  contentType?: string;
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeKubeApi(options: FakeKubeApiOptions): Promise<FakeKubeApi> {
  const snapshot = typeof options.snapshot === "string" ? await loadSnapshotDir(options.snapshot) : options.snapshot;
  const { snapshot: _snapshot, ...initialSettings } = options;
  const fake = new FakeKubeApiServer(new FakeKubeStore(snapshot), initialSettings);
  await fake.listen();
  return fake;
}

class FakeKubeApiServer implements FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  url = "";
  private settings: FakeKubeApiSettings;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<ServerResponse>();
  private readonly webSockets = new WebSocketServer({ noServer: true, handleProtocols: (offered) => chooseExecProtocol(offered) });
  private readonly ruleHits = new WeakMap<FakeRule, number>();
  private closed = false;
  /** Optional CRDs (OPTIONAL_GROUPS) whose objects the snapshot lacks: not installed here. */
  private readonly hiddenGroups: ReadonlySet<string>;

  constructor(
    private readonly store: FakeKubeStore,
    settings: FakeKubeApiSettings,
  ) {
    this.settings = { ...settings };
    this.hiddenGroups = new Set(
      [...OPTIONAL_GROUPS].filter((group) => FAKE_KUBE_RESOURCES.filter((r) => r.group === group).every((r) => store.list(r).length === 0)),
    );
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handleUpgrade(req, socket, head));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: this.url, skipTLSVerify: true }],
      users: [{ name: "fake-user", token: "fake-token" }],
      contexts: [{ name: "fake", cluster: "fake", user: "fake-user", namespace: "default" }],
      currentContext: "fake",
    });
    return kc;
  }

  kubeconfigYaml(): string {
    return stringifyYaml(JSON.parse(this.kubeConfig().exportConfig()));
  }

  resetRequests(): void {
    this.requests.length = 0;
  }

  objects(): ClusterSnapshot {
    return this.store.toSnapshot();
  }

  getObject(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const resource = resourceForKind(kind);
    const found = resource === undefined ? undefined : this.store.get(resource, namespace, name);
    return found === undefined ? undefined : structuredClone(found);
  }

  putObject(obj: KubeObject): KubeObject {
    return this.store.put(obj);
  }

  deleteObject(kind: string, namespace: string | undefined, name: string): boolean {
    return this.store.remove(kind, namespace, name);
  }

  setOptions(settings: FakeKubeApiSettings): void {
    this.settings = { ...this.settings, ...settings };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const res of this.watches) res.end();
    for (const ws of this.webSockets.clients) ws.terminate();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.webSockets.close();
    await stopped;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const record = this.record(req, url);
    try {
      const raw = await readBody(req);
      if (raw !== "") {
        record.body = raw;
        record.body = parseBody(raw, record.contentType);
      }
      await this.delay();
      if (this.closed) {
        res.destroy();
        return;
      }
      const answer = this.route(url, record, res);
      if (answer === undefined) return;
      record.status = answer.status;
      send(res, answer);
    } catch (err) {
      const status = err instanceof KubeStatusError ? err : KubeStatusError.withCode(500, `fake API server: ${(err as Error).message}`);
      record.status = status.code;
      send(res, { status: status.code, body: status.toStatus() });
    }
  }

  private record(req: IncomingMessage, url: URL): RecordedRequest {
    const method = req.method ?? "GET";
    const query = Object.fromEntries(url.searchParams);
    const path = resourcePath(url);
    const contentType = req.headers["content-type"]?.split(";")[0]?.trim();
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      verb: path === undefined ? "get" : verbOf(method, path, query),
      dryRun: query.dryRun === "All",
      ...(contentType === undefined ? {} : { contentType }),
    };
    if (path !== undefined) {
      record.resource = path.subresource === undefined ? path.plural : `${path.plural}/${path.subresource}`;
      record.group = path.group;
      record.version = path.version;
      if (path.namespace !== undefined) record.namespace = path.namespace;
      if (path.name !== undefined) record.name = path.name;
    }
    if (record.verb === "exec") record.command = url.searchParams.getAll("command");
    this.requests.push(record);
    return record;
  }

  private async delay(): Promise<void> {
    const ms = this.settings.latencyMs ?? 0;
    if (ms > 0) await delay(ms);
  }

  /** Answers a request, or returns undefined when it took the response over (a watch). */
  private route(url: URL, record: RecordedRequest, res: ServerResponse): Answer | undefined {
    const segments = pathSegments(url);
    const nonResource = this.nonResource(segments);
    if (nonResource !== undefined) return nonResource;
    const path = resourcePath(url);
    if (path === undefined) throw KubeStatusError.noSuchPath();
    if (path.group === "authorization.k8s.io" && path.plural === "selfsubjectaccessreviews" && record.method === "POST") {
      return this.accessReview(record);
    }
    this.applyRules(record, path);
    const resource = this.hiddenGroups.has(path.group) ? undefined : findResource(path.group, path.version, path.plural);
    if (resource === undefined) throw KubeStatusError.noSuchPath();
    if (resource.namespaced ? path.namespace === undefined && path.name !== undefined : path.namespace !== undefined) {
      throw KubeStatusError.noSuchPath();
    }
    const apiVersion = groupVersion(path.group, path.version);
    const target = { group: resource.group, plural: resource.plural, ...(path.name === undefined ? {} : { name: path.name }) };
    if (path.subresource !== undefined) {
      if (resource.kind === "Pod" && path.subresource === "log" && path.name !== undefined && record.method === "GET") {
        return this.podLog(path.namespace ?? "", path.name, record.query);
      }
      if (resource.kind === "Pod" && path.subresource === "exec") throw KubeStatusError.badRequest("Upgrade request required");
      throw KubeStatusError.noSuchPath();
    }
    const write = { dryRun: this.dryRun(record), apiVersion, ...(record.query.fieldManager === undefined ? {} : { fieldManager: record.query.fieldManager }) };
    switch (record.verb) {
      case "list":
        return this.list(resource, apiVersion, path.namespace, record.query);
      case "watch":
        record.status = 200;
        this.watch(resource, apiVersion, path.namespace, record.query, res);
        return undefined;
      case "get": {
        const found = this.store.get(resource, path.namespace, path.name ?? "");
        if (found === undefined) throw KubeStatusError.notFound(target);
        return { status: 200, body: present(found, resource, apiVersion, false) };
      }
      case "create": {
        if (path.name !== undefined) throw KubeStatusError.withCode(405, `the server does not allow this method on the requested resource`);
        const { object } = this.store.create(resource, path.namespace, record.body, write);
        return { status: 201, body: present(object, resource, apiVersion, false) };
      }
      case "update": {
        if (path.name === undefined) throw KubeStatusError.withCode(405, `the server does not allow this method on the requested resource`);
        const { object } = this.store.update(resource, path.namespace, path.name, record.body, write);
        return { status: 200, body: present(object, resource, apiVersion, false) };
      }
      case "patch": {
        if (path.name === undefined) throw KubeStatusError.withCode(405, `the server does not allow this method on the requested resource`);
        const contentType = record.contentType ?? "";
        const { object, created } = this.store.patch(resource, path.namespace, path.name, contentType, record.body, write);
        return { status: created ? 201 : 200, body: present(object, resource, apiVersion, false) };
      }
      case "delete": {
        if (path.name === undefined) throw KubeStatusError.withCode(405, `the server does not allow this method on the requested resource`);
        const precondition = deletePrecondition(record.body);
        const deleted = this.store.delete(resource, path.namespace, path.name, { ...write, ...(precondition === undefined ? {} : { precondition }) });
        if (!resource.custom) return { status: 200, body: present(deleted, resource, apiVersion, false) };
        return {
          status: 200,
          body: {
            kind: "Status",
            apiVersion: "v1",
            metadata: {},
            status: "Success",
            details: { name: path.name, group: resource.group, kind: resource.plural, uid: deleted.metadata.uid },
          },
        };
      }
      default:
        throw KubeStatusError.withCode(405, `the server does not allow this method on the requested resource`);
    }
  }

  private nonResource(segments: string[]): Answer | undefined {
    const [first] = segments;
    if (segments.length === 1 && (first === "healthz" || first === "livez" || first === "readyz")) {
      return { status: 200, body: "ok", contentType: "text/plain; charset=utf-8" };
    }
    if (segments.length === 1 && first === "version") return { status: 200, body: VERSION };
    const discovery = discoveryDocument(segments, new URL(this.url).host, this.hiddenGroups);
    return discovery === undefined ? undefined : { status: 200, body: discovery };
  }

  /**
   * A SelfSubjectAccessReview, answered by the `forbid` rules as they would answer the request it asks
   * about (`times` is neither checked nor counted): denied when one matches, allowed otherwise. A `fail`
   * rule on `selfsubjectaccessreviews` fails the review itself.
   */
  private accessReview(record: RecordedRequest): Answer {
    const failure = this.takeRule((this.settings.fail ?? []).filter((rule) => rule.resource !== undefined), record);
    if (failure !== undefined) {
      const code = failure.status ?? 500;
      throw KubeStatusError.withCode(code, failure.message ?? `Internal error occurred: injected failure (fake API server answered ${code})`);
    }
    const body = isPlainObject(record.body) ? record.body : {};
    const spec = isPlainObject(body.spec) ? body.spec : {};
    const attributes = isPlainObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    if (attributes === undefined) throw KubeStatusError.badRequest("SelfSubjectAccessReview: spec.resourceAttributes is required (the fake answers no nonResourceAttributes)");
    const text = (key: string): string | undefined => (typeof attributes[key] === "string" && attributes[key] !== "" ? attributes[key] : undefined);
    const verb = text("verb") ?? "";
    const subresource = text("subresource");
    const asked: RecordedRequest = {
      method: "GET",
      path: record.path,
      query: {},
      verb: fakeVerbOf(verb, subresource),
      resource: subresource === undefined ? (text("resource") ?? "") : `${text("resource") ?? ""}/${subresource}`,
      group: text("group") ?? "",
      dryRun: false,
      ...(text("namespace") === undefined ? {} : { namespace: text("namespace") }),
      ...(text("name") === undefined ? {} : { name: text("name") }),
    };
    const denied = (this.settings.forbid ?? []).find((rule) => ruleMatches(rule, asked));
    const user = this.settings.user ?? DEFAULT_USER;
    const status = denied === undefined
      ? { allowed: true, reason: `RBAC: allowed by the fake API server for "${user}"` }
      : { allowed: false, reason: denied.message ?? "" };
    return {
      status: 201,
      body: { kind: "SelfSubjectAccessReview", apiVersion: "authorization.k8s.io/v1", metadata: { creationTimestamp: null }, spec, status },
    };
  }

  private applyRules(record: RecordedRequest, path: ResourcePath): void {
    const forbidden = this.takeRule(this.settings.forbid, record);
    if (forbidden !== undefined) {
      const error = KubeStatusError.forbidden(
        {
          group: path.group,
          plural: path.plural,
          resource: record.resource ?? path.plural,
          ...(path.name === undefined ? {} : { name: path.name }),
          ...(path.namespace === undefined ? {} : { namespace: path.namespace }),
        },
        this.settings.user ?? DEFAULT_USER,
        RBAC_VERB[record.verb] ?? record.verb,
      );
      throw withMessage(error, forbidden.message);
    }
    const failure = this.takeRule(this.settings.fail, record);
    if (failure !== undefined) {
      const code = failure.status ?? 500;
      throw KubeStatusError.withCode(code, failure.message ?? `Internal error occurred: injected failure (fake API server answered ${code})`);
    }
    if (!WRITE_VERBS.includes(record.verb)) return;
    const conflict = this.takeRule(this.settings.conflict, record);
    if (conflict === undefined) return;
    const error =
      record.contentType === PATCH_TYPES.apply
        ? KubeStatusError.applyConflict("kubectl-client-side-apply", groupVersion(path.group, path.version))
        : KubeStatusError.modified({ group: path.group, plural: path.plural, name: path.name ?? "" });
    throw withMessage(error, conflict.message);
  }

  private takeRule(rules: FakeRule[] | undefined, record: RecordedRequest): FakeRule | undefined {
    for (const rule of rules ?? []) {
      if (!ruleMatches(rule, record)) continue;
      const hits = this.ruleHits.get(rule) ?? 0;
      if (rule.times !== undefined && hits >= rule.times) continue;
      this.ruleHits.set(rule, hits + 1);
      return rule;
    }
    return undefined;
  }

  private dryRun(record: RecordedRequest): boolean {
    const fromBody = isPlainObject(record.body) && Array.isArray(record.body.dryRun) && record.body.dryRun.includes("All");
    const value = record.query.dryRun;
    if (value !== undefined && value !== "All") {
      throw KubeStatusError.badRequest(`Unsupported value: "${value}": supported values: "All"`);
    }
    record.dryRun = value === "All" || (record.verb === "delete" && fromBody);
    return record.dryRun;
  }

  private list(resource: FakeResource, apiVersion: string, namespace: string | undefined, query: Record<string, string>): Answer {
    const selected = this.store.list(resource, namespace).filter(selectorFilter(resource, query));
    let resourceVersion = this.store.resourceVersion;
    let remaining = selected;
    if (query.continue !== undefined && query.continue !== "") {
      const token = decodeContinue(query.continue);
      resourceVersion = token.rv;
      remaining = selected.filter((obj) => storeKey(resource, obj) > token.start);
    }
    const limits = [Number(query.limit), this.settings.pageSizeCap ?? NaN].filter((n) => Number.isInteger(n) && n > 0);
    const pageSize = limits.length === 0 ? remaining.length : Math.min(...limits);
    const page = remaining.slice(0, pageSize);
    const metadata: Record<string, unknown> = { resourceVersion };
    const last = page.at(-1);
    if (remaining.length > page.length && last !== undefined) {
      metadata.continue = encodeContinue(resourceVersion, storeKey(resource, last));
      if (!query.labelSelector && !query.fieldSelector) metadata.remainingItemCount = remaining.length - page.length;
    }
    return {
      status: 200,
      body: { kind: `${resource.kind}List`, apiVersion, metadata, items: page.map((obj) => present(obj, resource, apiVersion, true)) },
    };
  }

  private watch(
    resource: FakeResource,
    apiVersion: string,
    namespace: string | undefined,
    query: Record<string, string>,
    res: ServerResponse,
  ): void {
    const selected = selectorFilter(resource, query);
    const inScope = (obj: StoredObject | undefined): obj is StoredObject =>
      obj !== undefined && (namespace === undefined || obj.metadata.namespace === namespace) && selected(obj);
    const since = query.resourceVersion;
    const replay = since === undefined || since === "" || since === "0" ? undefined : this.store.eventsSince(Number(since));
    if (since !== undefined && since !== "" && since !== "0" && (replay === undefined || !Number.isFinite(Number(since)))) {
      writeWatchHead(res);
      const gone = new KubeStatusError(410, "Expired", `too old resource version: ${since} (${this.store.resourceVersion})`);
      res.end(`${JSON.stringify({ type: "ERROR", object: gone.toStatus() })}\n`);
      return;
    }
    writeWatchHead(res);
    this.watches.add(res);
    const write = (type: WatchEventType, obj: StoredObject): void => {
      res.write(`${JSON.stringify({ type, object: present(obj, resource, apiVersion, false) })}\n`);
    };
    const deliver = (event: StoreEvent): void => {
      if (event.resource !== resource) return;
      const matchesNow = inScope(event.object);
      if (event.type !== "MODIFIED") {
        if (matchesNow) write(event.type, event.object);
        return;
      }
      const matchedBefore = inScope(event.previous);
      if (matchesNow) write(matchedBefore ? "MODIFIED" : "ADDED", event.object);
      else if (matchedBefore) write("DELETED", event.object);
    };
    if (replay === undefined) {
      for (const obj of this.store.list(resource, namespace).filter(selected)) write("ADDED", obj);
    } else {
      for (const event of replay) deliver(event);
    }
    const unsubscribe = this.store.subscribe(deliver);
    const timeoutSeconds = Number(query.timeoutSeconds);
    const timer = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    const stop = (): void => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      this.watches.delete(res);
    };
    res.on("close", stop);
  }

  private podLog(namespace: string, name: string, query: Record<string, string>): Answer {
    const pods = findResource("", "v1", "pods") as FakeResource;
    const pod = this.store.get(pods, namespace, name);
    if (pod === undefined) throw KubeStatusError.notFound({ group: "", plural: "pods", name });
    const container = pickContainer(pod, query.container);
    if (query.previous === "true") {
      throw KubeStatusError.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    }
    let text = container === "istio-proxy" ? (this.store.proxy(namespace, name)?.log ?? "") : "";
    const tailLines = Number(query.tailLines);
    if (query.tailLines !== undefined && Number.isInteger(tailLines) && tailLines >= 0) text = tail(text, tailLines);
    const limitBytes = Number(query.limitBytes);
    if (Number.isInteger(limitBytes) && limitBytes > 0) text = Buffer.from(text).subarray(0, limitBytes).toString();
    return { status: 200, body: text, contentType: "text/plain" };
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const record = this.record(req, url);
    try {
      await this.delay();
      if (this.closed) {
        socket.destroy();
        return;
      }
      const path = resourcePath(url);
      if (path === undefined || record.verb !== "exec") throw KubeStatusError.noSuchPath();
      this.applyRules(record, path);
      if (path.group !== "" || path.plural !== "pods" || path.namespace === undefined || path.name === undefined) throw KubeStatusError.noSuchPath();
      const pod = this.store.get(findResource("", "v1", "pods") as FakeResource, path.namespace, path.name);
      if (pod === undefined) throw KubeStatusError.notFound({ group: "", plural: "pods", name: path.name });
      const container = pickContainer(pod, record.query.container);
      if (record.command === undefined || record.command.length === 0) throw KubeStatusError.badRequest("you must specify at least 1 command");
      const command = record.command;
      const proxy = this.store.proxy(path.namespace, path.name);
      this.webSockets.handleUpgrade(req, socket, head, (ws) => {
        record.status = 101;
        runFakeExec(ws, { command, container, proxy, stdout: record.query.stdout === "true", stderr: record.query.stderr === "true" });
      });
    } catch (err) {
      const status = err instanceof KubeStatusError ? err : KubeStatusError.withCode(500, `fake API server: ${(err as Error).message}`);
      record.status = status.code;
      const body = JSON.stringify(status.toStatus());
      socket.end(
        `HTTP/1.1 ${status.code} ${http.STATUS_CODES[status.code] ?? "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }
}

const VERSION = {
  major: "1",
  minor: "30",
  gitVersion: "v1.30.4",
  gitCommit: "a51b3b711150f57ffc1f526a640ec058514ed596",
  gitTreeState: "clean",
  buildDate: "2024-08-14T19:04:48Z",
  goVersion: "go1.22.5",
  compiler: "gc",
  platform: "linux/amd64",
};

function pathSegments(url: URL): string[] {
  return url.pathname
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
}

/** The resource a path names (`/api/v1/namespaces/ns/pods/name/log`), or undefined for other paths. */
function resourcePath(url: URL): ResourcePath | undefined {
  const segments = pathSegments(url);
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (segments[0] === "api") {
    group = "";
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === "apis") {
    group = segments[1] ?? "";
    version = segments[2];
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  if (version === undefined || rest.length === 0) return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (plural === undefined || extra.length > 0) return undefined;
  return {
    group,
    version,
    plural,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
  };
}

function verbOf(method: string, path: ResourcePath, query: Record<string, string>): FakeVerb {
  if (path.subresource === "exec") return "exec";
  if (path.subresource === "log") return "log";
  switch (method) {
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      if (path.name !== undefined) return "get";
      return query.watch === "true" || query.watch === "1" ? "watch" : "list";
  }
}

/** The fake's verb for what an access review asks: exec and log are subresources, any verb on them. */
function fakeVerbOf(verb: string, subresource: string | undefined): FakeVerb {
  if (subresource === "exec") return "exec";
  if (subresource === "log") return "log";
  const verbs: readonly FakeVerb[] = ["get", "list", "watch", "create", "update", "patch", "delete"];
  return (verbs as readonly string[]).includes(verb) ? (verb as FakeVerb) : "get";
}

function ruleMatches(rule: FakeRule, record: RecordedRequest): boolean {
  if (record.resource === undefined) return false;
  if (rule.verb !== undefined && rule.verb !== record.verb) return false;
  if (rule.namespace !== undefined && rule.namespace !== record.namespace) return false;
  if (rule.name !== undefined && rule.name !== record.name) return false;
  if (rule.dryRun !== undefined && rule.dryRun !== record.dryRun) return false;
  if (rule.resource === undefined) return true;
  const [plural = "", sub] = record.resource.split("/");
  const qualified = record.group ? `${plural}.${record.group}` : plural;
  const names = sub === undefined ? [plural, qualified] : [`${plural}/${sub}`, `${qualified}/${sub}`];
  return names.includes(rule.resource);
}

function withMessage(error: KubeStatusError, message: string | undefined): KubeStatusError {
  return message === undefined ? error : new KubeStatusError(error.code, error.reason, message, error.details);
}

function selectorFilter(resource: FakeResource, query: Record<string, string>): (obj: StoredObject) => boolean {
  const labels: LabelMatcher | undefined = query.labelSelector ? parseLabelSelector(query.labelSelector) : undefined;
  const fields: FieldMatcher | undefined = query.fieldSelector ? parseFieldSelector(query.fieldSelector, resource.selectableFields) : undefined;
  return (obj) => (labels === undefined || labels(obj.metadata.labels)) && (fields === undefined || fields(obj));
}

/** A stored object as the API answers it: a clone, with the apiVersion of the request. */
function present(obj: StoredObject, resource: FakeResource, apiVersion: string, asListItem: boolean): StoredObject {
  const copy = structuredClone(obj);
  if (asListItem && !resource.custom) {
    delete copy.kind;
    delete copy.apiVersion;
  } else {
    copy.apiVersion = apiVersion;
    copy.kind = resource.kind;
  }
  return copy;
}

/** The container a log or exec request means, refused as kubelet refuses it. Init containers count (native sidecars). */
function pickContainer(pod: StoredObject, requested: string | undefined): string {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const names = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])]
    .map((c: unknown) => (isPlainObject(c) && typeof c.name === "string" ? c.name : ""))
    .filter((n) => n !== "");
  const podName = pod.metadata.name ?? "";
  const container = requested ?? (names.length === 1 ? names[0] : undefined);
  if (container === undefined) {
    throw KubeStatusError.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(" ")}]`);
  }
  if (!names.includes(container)) throw KubeStatusError.badRequest(`container ${container} is not valid for pod ${podName}`);
  return container;
}

function storeKey(resource: FakeResource, obj: StoredObject): string {
  return resource.namespaced ? `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}` : (obj.metadata.name ?? "");
}

function encodeContinue(resourceVersion: string, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: resourceVersion, start })).toString("base64url");
}

function decodeContinue(token: string): { rv: string; start: string } {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (isPlainObject(decoded) && typeof decoded.rv === "string" && typeof decoded.start === "string") {
      return { rv: decoded.rv, start: decoded.start };
    }
  } catch {
    // answered below
  }
  throw KubeStatusError.badRequest(`invalid continue token: ${token}`);
}

function deletePrecondition(body: unknown): string | undefined {
  if (!isPlainObject(body) || !isPlainObject(body.preconditions)) return undefined;
  const rv = body.preconditions.resourceVersion;
  return typeof rv === "string" ? rv : undefined;
}

function tail(text: string, lines: number): string {
  const endsWithNewline = text.endsWith("\n");
  const all = (endsWithNewline ? text.slice(0, -1) : text).split("\n");
  if (text === "" || lines === 0) return "";
  return all.slice(-lines).join("\n") + (endsWithNewline ? "\n" : "");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw KubeStatusError.withCode(413, "request entity too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  try {
    return contentType !== undefined && contentType.includes("yaml") ? parseYaml(raw) : JSON.parse(raw);
  } catch (err) {
    throw KubeStatusError.badRequest(`error decoding request body: ${(err as Error).message}`);
  }
}

function writeWatchHead(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
  res.flushHeaders();
}

function send(res: ServerResponse, answer: Answer): void {
  const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    "Content-Type": answer.contentType ?? "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}
