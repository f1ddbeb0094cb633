// Watches the Istio objects that decide mTLS (PeerAuthentication, DestinationRule,
// AuthorizationPolicy) across namespaces, so that a change is diagnosed right after it is applied
// instead of at the next scheduled scan. Changes are debounced per namespace: one `kubectl apply` of
// ten objects triggers one scan. List, then watch from the list's resourceVersion (no replay of
// existing objects as "added"); reconnect on errors, re-list when the version is too old.
import { ApiException, CustomObjectsApi, Watch, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../logger.js";

export interface WatchedKind {
  kind: string;
  group: string;
  /** Tried in order until one is served (older Istio releases serve only v1beta1). */
  versions: readonly string[];
  plural: string;
}

export const POLICY_KINDS: readonly WatchedKind[] = [
  { kind: "PeerAuthentication", group: "security.istio.io", versions: ["v1", "v1beta1"], plural: "peerauthentications" },
  { kind: "DestinationRule", group: "networking.istio.io", versions: ["v1", "v1beta1", "v1alpha3"], plural: "destinationrules" },
  { kind: "AuthorizationPolicy", group: "security.istio.io", versions: ["v1", "v1beta1"], plural: "authorizationpolicies" },
];

export interface PolicyChange {
  type: "ADDED" | "MODIFIED" | "DELETED";
  kind: string;
  namespace: string;
  name: string;
}

export interface WatchPoliciesOptions {
  /** Called once per namespace when its changes have settled for `debounceMs`. */
  onChange: (namespace: string, changes: PolicyChange[]) => void | Promise<void>;
  logger: Logger;
  /** Default 10 s. */
  debounceMs?: number;
  /** Wait before reconnecting after an error (doubles up to 30 s). Default 1 s. */
  retryDelayMs?: number;
  /** Server-side timeout of one watch request; the watch is then resumed. Default 25 s (below client-node's 30 s idle timeout). */
  watchTimeoutSeconds?: number;
  kinds?: readonly WatchedKind[];
}

export interface PolicyWatch {
  /** Resolves once every kind has been listed: changes from then on are reported. */
  ready: Promise<void>;
  close(): Promise<void>;
}

interface ObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
}

interface ListedObjects {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: { metadata?: ObjectMeta }[];
}

class ExpiredVersion extends Error {
  override readonly name = "ExpiredVersion";
}

const MAX_RETRY_DELAY_MS = 30_000;
const MIN_WATCH_MS = 1_000;

function isNotServed(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Watches the policy kinds in every namespace and reports settled changes per namespace. */
export function watchPolicies(kc: KubeConfig, options: WatchPoliciesOptions): PolicyWatch {
  const debounceMs = options.debounceMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const timeoutSeconds = options.watchTimeoutSeconds ?? 25;
  const stop = new AbortController();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const watch = new Watch(kc);
  const pending = new Map<string, { timer: NodeJS.Timeout; changes: PolicyChange[] }>();
  const requests = new Set<AbortController>();

  const changed = (change: PolicyChange) => {
    if (stop.signal.aborted) return;
    const entry = pending.get(change.namespace);
    if (entry) clearTimeout(entry.timer);
    const changes = [...(entry?.changes ?? []), change];
    const timer = setTimeout(() => {
      pending.delete(change.namespace);
      Promise.resolve(options.onChange(change.namespace, changes)).catch((err: unknown) =>
        options.logger.error({ err, namespace: change.namespace }, "could not act on a policy change"),
      );
    }, debounceMs);
    pending.set(change.namespace, { timer, changes });
  };

  const changedKey = (kind: WatchedKind, key: string, type: PolicyChange["type"]) => {
    const [namespace = "", name = ""] = key.split("/");
    if (namespace !== "") changed({ type, kind: kind.kind, namespace, name });
  };

  /** Lists every object of a kind: the version to watch from, and each object's version (to compare after a re-list). */
  const list = async (kind: WatchedKind, version: string) => {
    const objects = new Map<string, string>();
    let cont: string | undefined;
    let resourceVersion = "";
    do {
      const page = (await custom.listClusterCustomObject({ group: kind.group, version, plural: kind.plural, limit: 500, ...(cont ? { _continue: cont } : {}) })) as ListedObjects;
      for (const item of page.items ?? []) objects.set(`${item.metadata?.namespace ?? ""}/${item.metadata?.name ?? ""}`, item.metadata?.resourceVersion ?? "");
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { resourceVersion, objects };
  };

  const servedVersion = async (kind: WatchedKind): Promise<string | undefined> => {
    for (const version of kind.versions) {
      try {
        await custom.listClusterCustomObject({ group: kind.group, version, plural: kind.plural, limit: 1 });
        return version;
      } catch (err) {
        if (!isNotServed(err)) throw err;
      }
    }
    return undefined;
  };

  /** One watch request from `resourceVersion`; resolves with the last version seen when the server ends it. */
  const watchOnce = (kind: WatchedKind, version: string, from: string, known: Map<string, string>): Promise<string> =>
    new Promise((resolve, reject) => {
      let last = from;
      let request: AbortController | undefined;
      const onEvent = (type: string, obj: unknown) => {
        const meta = (obj as { metadata?: ObjectMeta; code?: number } | undefined)?.metadata;
        if (type === "ERROR") {
          const code = (obj as { code?: number } | undefined)?.code;
          request?.abort();
          reject(code === 410 ? new ExpiredVersion(`resourceVersion ${last} is too old`) : new Error(`watch error: ${JSON.stringify(obj)}`));
          return;
        }
        if (meta?.resourceVersion) last = meta.resourceVersion;
        if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
        const namespace = meta?.namespace ?? "";
        const name = meta?.name ?? "";
        const key = `${namespace}/${name}`;
        if (type === "DELETED") known.delete(key);
        else known.set(key, meta?.resourceVersion ?? "");
        if (namespace !== "") changed({ type, kind: kind.kind, namespace, name });
      };
      const path = `/apis/${kind.group}/${version}/${kind.plural}`;
      let ended = false;
      watch
        .watch(path, { resourceVersion: from, allowWatchBookmarks: true, timeoutSeconds }, onEvent, (err: unknown) => {
          ended = true;
          if (request) requests.delete(request);
          if (!err || stop.signal.aborted) resolve(last);
          else if ((err as { statusCode?: number }).statusCode === 410) reject(new ExpiredVersion(`resourceVersion ${last} is too old`));
          else reject(err instanceof Error ? err : new Error(String(err)));
        })
        .then(
          (controller) => {
            request = controller;
            if (ended) return;
            requests.add(controller);
            if (stop.signal.aborted) controller.abort();
          },
          (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
        );
    });

  const run = async (kind: WatchedKind, onReady: () => void): Promise<void> => {
    let delay = retryDelayMs;
    let version: string | undefined;
    let from: string | undefined;
    let known = new Map<string, string>();
    let readyCalled = false;
    while (!stop.signal.aborted) {
      try {
        version ??= await servedVersion(kind);
        if (version === undefined) {
          options.logger.info({ kind: kind.kind }, "not served by this cluster: not watched");
          break;
        }
        if (from === undefined) {
          const listed = await list(kind, version);
          // After a re-list, what changed while the watch was gone counts as changes.
          if (readyCalled) {
            for (const [key, rv] of listed.objects) if (known.get(key) !== rv) changedKey(kind, key, known.has(key) ? "MODIFIED" : "ADDED");
            for (const key of known.keys()) if (!listed.objects.has(key)) changedKey(kind, key, "DELETED");
          }
          known = listed.objects;
          from = listed.resourceVersion;
        }
        if (!readyCalled) {
          readyCalled = true;
          onReady();
        }
        const started = Date.now();
        from = await watchOnce(kind, version, from, known);
        delay = retryDelayMs;
        // A server (or proxy) that ends watches at once must not make this a busy loop.
        if (Date.now() - started < MIN_WATCH_MS) await sleep(retryDelayMs, stop.signal);
      } catch (err) {
        if (stop.signal.aborted) break;
        if (err instanceof ExpiredVersion) {
          from = undefined;
          continue;
        }
        const timedOut = err instanceof Error && err.name === "TimeoutError";
        if (!timedOut) options.logger.warn({ err, kind: kind.kind, retryInMs: delay }, "policy watch failed: reconnecting");
        await sleep(timedOut ? 0 : delay, stop.signal);
        if (!timedOut) delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
    if (!readyCalled) onReady();
  };

  const kinds = options.kinds ?? POLICY_KINDS;
  const readiness: Promise<void>[] = [];
  const loops = kinds.map((kind) => {
    let markReady!: () => void;
    readiness.push(new Promise<void>((resolve) => (markReady = resolve)));
    return run(kind, markReady);
  });
  return {
    ready: Promise.all(readiness).then(() => undefined),
    async close() {
      stop.abort();
      for (const request of requests) request.abort();
      for (const { timer } of pending.values()) clearTimeout(timer);
      pending.clear();
      await Promise.all(loops);
    },
  };
}
