import { randomBytes, randomUUID } from "node:crypto";
import type { KubeObject, ObjectMeta } from "../../src/cluster/kube-types.js";
import { addObject, emptySnapshot, type ClusterSnapshot } from "../../src/cluster/snapshot.js";
import { applyJsonPatch } from "./apply-json-patch.js";
import { FAKE_KUBE_RESOURCES, groupVersion, resourceForKind, type FakeResource } from "./fake-kube-resources.js";
import { KubeStatusError } from "./kube-status-error.js";
import { isPlainObject, mergePatch } from "./merge-patch.js";
import { validateObject } from "./validate-object.js";

/** An object as the fake keeps it: any Kubernetes object, metadata always present. */
export type StoredObject = Record<string, unknown> & { metadata: ObjectMeta & Record<string, unknown> };

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** One committed change, kept for watches (`?watch=true&resourceVersion=N` replays from N). */
export interface StoreEvent {
  resource: FakeResource;
  type: WatchEventType;
  /** The object after the change (for DELETED, as it was when deleted). */
  object: StoredObject;
  /** The object before the change, for MODIFIED. */
  previous?: StoredObject;
  resourceVersion: number;
}

export const PATCH_TYPES = {
  apply: "application/apply-patch+yaml",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
} as const;

export interface WriteOptions {
  dryRun: boolean;
  /** The `group/version` the request came in on; objects keep it as their apiVersion. */
  apiVersion: string;
  fieldManager?: string;
  /** `metadata.resourceVersion` a delete must still find (DeleteOptions.preconditions). */
  precondition?: string;
}

export interface WriteResult {
  object: StoredObject;
  created: boolean;
}

/** How many past changes a watch can replay from. */
const HISTORY_LIMIT = 10_000;
const FIRST_RESOURCE_VERSION = 1000;

type ListKey = "namespaces" | "pods" | "services" | "endpointSlices" | "serviceAccounts" | "peerAuthentications" | "destinationRules" | "authorizationPolicies" | "sidecars" | "configMaps" | "events" | "controlPlaneRevisions";

const KIND_OF_LIST: Record<ListKey, string> = {
  namespaces: "Namespace",
  pods: "Pod",
  services: "Service",
  endpointSlices: "EndpointSlice",
  serviceAccounts: "ServiceAccount",
  peerAuthentications: "PeerAuthentication",
  destinationRules: "DestinationRule",
  authorizationPolicies: "AuthorizationPolicy",
  sidecars: "Sidecar",
  configMaps: "ConfigMap",
  events: "Event",
  controlPlaneRevisions: "ControlPlaneRevision",
};

/**
 * The fake API server's state: the snapshot's objects by resource, a resourceVersion counter, and the
 * write semantics of kube-apiserver that the app relies on (server-side apply, merge patches,
 * preconditions, dry-run, no-op writes that do not bump resourceVersion). Every read returns clones.
 */
export class FakeKubeStore {
  private readonly objectsByResource = new Map<FakeResource, Map<string, StoredObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private revision: number;
  /** Changes up to this resourceVersion have been dropped from `history`. */
  private forgottenUpTo = 0;
  private readonly extras: Pick<ClusterSnapshot, "proxies" | "proxyStatus" | "analyzeMessages">;

  constructor(snapshot: ClusterSnapshot) {
    for (const resource of FAKE_KUBE_RESOURCES) this.objectsByResource.set(resource, new Map());
    const loaded: [FakeResource, KubeObject][] = [];
    for (const [list, kind] of Object.entries(KIND_OF_LIST) as [ListKey, string][]) {
      for (const obj of snapshot[list]) {
        const resource = resourceForKind(obj.kind ?? kind) ?? resourceForKind(kind);
        if (resource !== undefined) loaded.push([resource, obj]);
      }
    }
    for (const obj of snapshot.workloads) {
      const resource = obj.kind === undefined ? undefined : resourceForKind(obj.kind);
      if (resource !== undefined) loaded.push([resource, obj]);
    }
    const versions = loaded.map(([, obj]) => Number(obj.metadata?.resourceVersion)).filter((n) => Number.isSafeInteger(n));
    this.revision = Math.max(FIRST_RESOURCE_VERSION, ...versions);
    for (const [resource, obj] of loaded) {
      const stored = this.normalize(resource, structuredClone(obj) as Record<string, unknown>);
      stored.metadata.resourceVersion ??= String(++this.revision);
      stored.metadata.uid ??= randomUUID();
      this.bucket(resource).set(keyOf(resource, stored), stored);
    }
    this.extras = {
      proxies: new Map(structuredClone([...snapshot.proxies])),
      ...(snapshot.proxyStatus === undefined ? {} : { proxyStatus: structuredClone(snapshot.proxyStatus) }),
      ...(snapshot.analyzeMessages === undefined ? {} : { analyzeMessages: structuredClone(snapshot.analyzeMessages) }),
    };
  }

  /** The latest resourceVersion, as list responses report it. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Proxy data (config dump, log, stats) of `namespace/pod`. */
  proxy(namespace: string, pod: string): { configDump?: unknown; log?: string; stats?: string } | undefined {
    const data = this.extras.proxies.get(`${namespace}/${pod}`);
    return data === undefined ? undefined : structuredClone(data);
  }

  /** Objects of a resource (in one namespace, or all), ordered as etcd keys order them. Not cloned. */
  list(resource: FakeResource, namespace?: string): StoredObject[] {
    return [...this.bucket(resource)]
      .filter(([, obj]) => namespace === undefined || obj.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => obj);
  }

  /** One object, not cloned. */
  get(resource: FakeResource, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.bucket(resource).get(key(resource, namespace, name));
  }

  /** Changes after `resourceVersion`; undefined when they are no longer kept (a watch gets 410 Gone). */
  eventsSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.forgottenUpTo) return undefined;
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The whole state as a ClusterSnapshot (fresh clones), proxies and proxy-status carried over. */
  toSnapshot(): ClusterSnapshot {
    const snapshot = emptySnapshot();
    for (const resource of FAKE_KUBE_RESOURCES) {
      for (const obj of this.list(resource)) addObject(snapshot, structuredClone(obj));
    }
    snapshot.proxies = new Map(structuredClone([...this.extras.proxies]));
    if (this.extras.proxyStatus !== undefined) snapshot.proxyStatus = structuredClone(this.extras.proxyStatus);
    if (this.extras.analyzeMessages !== undefined) snapshot.analyzeMessages = structuredClone(this.extras.analyzeMessages);
    return snapshot;
  }

  /** Stores an object as a controller or `kubectl` elsewhere would, without validation: for tests. */
  put(obj: KubeObject): StoredObject {
    const resource = obj.kind === undefined ? undefined : resourceForKind(obj.kind);
    if (resource === undefined) throw new Error(`the fake does not serve kind ${obj.kind ?? "(none)"}`);
    const stored = this.normalize(resource, structuredClone(obj) as Record<string, unknown>);
    const existing = this.bucket(resource).get(keyOf(resource, stored));
    if (existing !== undefined) {
      stored.metadata.uid = existing.metadata.uid;
      stored.metadata.creationTimestamp ??= existing.metadata.creationTimestamp;
    } else {
      stored.metadata.uid ??= randomUUID();
      stored.metadata.creationTimestamp ??= now();
    }
    return structuredClone(this.commit(resource, stored));
  }

  /** Removes an object as someone elsewhere would: for tests. Returns whether it was there. */
  remove(kind: string, namespace: string | undefined, name: string): boolean {
    const resource = resourceForKind(kind);
    if (resource === undefined) return false;
    const existing = this.get(resource, namespace, name);
    if (existing === undefined) return false;
    this.commitDelete(resource, existing);
    return true;
  }

  create(resource: FakeResource, namespace: string | undefined, body: unknown, options: WriteOptions): WriteResult {
    const obj = this.checkBody(resource, body, namespace, options.apiVersion, undefined);
    const meta = obj.metadata;
    if ((meta.name === undefined || meta.name === "") && typeof meta.generateName === "string") {
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    const target = { group: resource.group, plural: resource.plural, ...(meta.name === undefined ? {} : { name: meta.name }) };
    this.validate(resource, obj);
    if (this.get(resource, namespace, meta.name ?? "") !== undefined) throw KubeStatusError.alreadyExists(target);
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    meta.generation = 1;
    delete meta.resourceVersion;
    recordManager(obj, options, "Update");
    return { object: options.dryRun ? obj : this.commit(resource, obj), created: true };
  }

  update(resource: FakeResource, namespace: string | undefined, name: string, body: unknown, options: WriteOptions): WriteResult {
    const existing = this.mustGet(resource, namespace, name);
    const obj = this.checkBody(resource, body, namespace, options.apiVersion, name);
    this.checkPrecondition(resource, existing, obj.metadata.resourceVersion);
    return this.write(resource, existing, obj, options, "Update");
  }

  /**
   * Server-side apply merges the configuration into the stored object (creating it when absent). The
   * fake keeps no per-field ownership, so `force` changes nothing: use a `conflict` rule for conflicts.
   */
  patch(resource: FakeResource, namespace: string | undefined, name: string, contentType: string, body: unknown, options: WriteOptions): WriteResult {
    const existing = this.get(resource, namespace, name);
    if (contentType === PATCH_TYPES.apply) return this.apply(resource, namespace, name, existing, body, options);
    if (existing === undefined) throw KubeStatusError.notFound({ group: resource.group, plural: resource.plural, name });
    let patched: unknown;
    if (contentType === PATCH_TYPES.merge || contentType === PATCH_TYPES.strategic) {
      if (!isPlainObject(body)) throw KubeStatusError.badRequest("the body of a merge patch must be a JSON object");
      const meta = isPlainObject(body.metadata) ? body.metadata : {};
      this.checkPrecondition(resource, existing, typeof meta.resourceVersion === "string" ? meta.resourceVersion : undefined);
      patched = mergePatch(existing, body);
    } else if (contentType === PATCH_TYPES.json) {
      patched = applyJsonPatch(existing, body);
    } else {
      throw KubeStatusError.withCode(415, `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(", ")}`);
    }
    const obj = this.checkBody(resource, patched, namespace, options.apiVersion, name);
    return this.write(resource, existing, obj, options, "Update");
  }

  delete(resource: FakeResource, namespace: string | undefined, name: string, options: WriteOptions): StoredObject {
    const existing = this.mustGet(resource, namespace, name);
    this.checkPrecondition(resource, existing, options.precondition);
    if (!options.dryRun) this.commitDelete(resource, existing);
    return structuredClone(existing);
  }

  private apply(
    resource: FakeResource,
    namespace: string | undefined,
    name: string,
    existing: StoredObject | undefined,
    body: unknown,
    options: WriteOptions,
  ): WriteResult {
    if (options.fieldManager === undefined || options.fieldManager === "") {
      throw new KubeStatusError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        kind: "PatchOptions",
        group: "meta.k8s.io",
        causes: [{ reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager" }],
      });
    }
    if (!isPlainObject(body) || typeof body.apiVersion !== "string" || typeof body.kind !== "string") {
      throw KubeStatusError.badRequest("error decoding patch: apiVersion and kind must be set in an apply configuration");
    }
    const config = this.checkBody(resource, body, namespace, options.apiVersion, name);
    if (existing === undefined) {
      if (config.metadata.resourceVersion !== undefined) {
        throw KubeStatusError.modified({ group: resource.group, plural: resource.plural, name });
      }
      return this.create(resource, namespace, withManager(config, options.fieldManager), { ...options, fieldManager: undefined });
    }
    this.checkPrecondition(resource, existing, config.metadata.resourceVersion);
    const merged = mergePatch(existing, config) as StoredObject;
    return this.write(resource, existing, merged, options, "Apply");
  }

  /** Replaces `existing` with `obj` unless nothing changed; keeps identity, bumps generation on spec changes. */
  private write(resource: FakeResource, existing: StoredObject, obj: StoredObject, options: WriteOptions, operation: "Apply" | "Update"): WriteResult {
    const meta = obj.metadata;
    meta.uid = existing.metadata.uid;
    meta.creationTimestamp = existing.metadata.creationTimestamp;
    meta.resourceVersion = existing.metadata.resourceVersion;
    meta.managedFields = existing.metadata.managedFields;
    const generation = typeof existing.metadata.generation === "number" ? existing.metadata.generation : 1;
    meta.generation = JSON.stringify(obj.spec) === JSON.stringify(existing.spec) ? generation : generation + 1;
    this.validate(resource, obj);
    if (sameContent(existing, obj)) return { object: structuredClone(existing), created: false };
    recordManager(obj, options, operation);
    return { object: options.dryRun ? obj : this.commit(resource, obj), created: false };
  }

  private checkBody(resource: FakeResource, body: unknown, namespace: string | undefined, apiVersion: string, urlName: string | undefined): StoredObject {
    if (!isPlainObject(body)) throw KubeStatusError.badRequest(`the body of the request must be a ${resource.kind} object`);
    const obj = structuredClone(body);
    if (obj.kind !== undefined && obj.kind !== resource.kind) {
      throw KubeStatusError.badRequest(`the API version in the data (${String(obj.apiVersion)}) and kind (${String(obj.kind)}) do not match the request: ${apiVersion}, Kind=${resource.kind}`);
    }
    if (obj.apiVersion !== undefined && !resource.versions.some((v) => groupVersion(resource.group, v) === obj.apiVersion)) {
      throw KubeStatusError.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    obj.apiVersion = apiVersion;
    obj.kind = resource.kind;
    const meta = (isPlainObject(obj.metadata) ? obj.metadata : {}) as StoredObject["metadata"];
    obj.metadata = meta;
    if (namespace !== undefined) {
      if (meta.namespace !== undefined && meta.namespace !== namespace) {
        throw KubeStatusError.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta.namespace = namespace;
    }
    if (urlName !== undefined) {
      if (meta.name !== undefined && meta.name !== urlName) {
        throw KubeStatusError.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${urlName})`);
      }
      meta.name = urlName;
    }
    return obj as StoredObject;
  }

  private checkPrecondition(resource: FakeResource, existing: StoredObject, resourceVersion: string | undefined): void {
    if (resourceVersion !== undefined && resourceVersion !== "" && resourceVersion !== existing.metadata.resourceVersion) {
      throw KubeStatusError.modified({ group: resource.group, plural: resource.plural, name: existing.metadata.name ?? "" });
    }
  }

  private validate(resource: FakeResource, obj: StoredObject): void {
    const causes = validateObject(resource, obj);
    if (causes.length > 0) {
      throw KubeStatusError.invalid(resource.kind, { group: resource.group, plural: resource.plural, name: obj.metadata.name ?? "" }, causes);
    }
  }

  private mustGet(resource: FakeResource, namespace: string | undefined, name: string): StoredObject {
    const existing = this.get(resource, namespace, name);
    if (existing === undefined) throw KubeStatusError.notFound({ group: resource.group, plural: resource.plural, name });
    return existing;
  }

  private commit(resource: FakeResource, obj: StoredObject): StoredObject {
    const k = keyOf(resource, obj);
    const previous = this.bucket(resource).get(k);
    obj.metadata.resourceVersion = String(++this.revision);
    this.bucket(resource).set(k, obj);
    this.emit({
      resource,
      type: previous === undefined ? "ADDED" : "MODIFIED",
      object: structuredClone(obj),
      ...(previous === undefined ? {} : { previous }),
      resourceVersion: this.revision,
    });
    return structuredClone(obj);
  }

  private commitDelete(resource: FakeResource, existing: StoredObject): void {
    this.bucket(resource).delete(keyOf(resource, existing));
    const object = structuredClone(existing);
    object.metadata.resourceVersion = String(++this.revision);
    this.emit({ resource, type: "DELETED", object, resourceVersion: this.revision });
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.forgottenUpTo = this.history.shift()?.resourceVersion ?? this.forgottenUpTo;
    for (const listener of this.listeners) listener(event);
  }

  private bucket(resource: FakeResource): Map<string, StoredObject> {
    const bucket = this.objectsByResource.get(resource);
    if (bucket === undefined) throw new Error(`no bucket for ${resource.plural}`);
    return bucket;
  }

  private normalize(resource: FakeResource, obj: Record<string, unknown>): StoredObject {
    obj.kind = resource.kind;
    if (typeof obj.apiVersion !== "string") obj.apiVersion = groupVersion(resource.group, resource.versions[0] ?? "v1");
    const meta = (isPlainObject(obj.metadata) ? obj.metadata : {}) as StoredObject["metadata"];
    obj.metadata = meta;
    if (resource.namespaced) meta.namespace ??= "default";
    else delete meta.namespace;
    return obj as StoredObject;
  }
}

function key(resource: FakeResource, namespace: string | undefined, name: string): string {
  return resource.namespaced ? `${namespace ?? ""}/${name}` : name;
}

function keyOf(resource: FakeResource, obj: StoredObject): string {
  return key(resource, obj.metadata.namespace, obj.metadata.name ?? "");
}

/** Equal apart from bookkeeping the API server itself maintains. */
function sameContent(a: StoredObject, b: StoredObject): boolean {
  const strip = (obj: StoredObject): unknown => {
    const { managedFields: _managed, resourceVersion: _rv, generation: _generation, ...meta } = obj.metadata;
    return { ...obj, metadata: meta };
  };
  return JSON.stringify(canonical(strip(a))) === JSON.stringify(canonical(strip(b)));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

function recordManager(obj: StoredObject, options: WriteOptions, operation: "Apply" | "Update"): void {
  if (options.fieldManager === undefined) return;
  const entries = Array.isArray(obj.metadata.managedFields) ? (obj.metadata.managedFields as Record<string, unknown>[]) : [];
  const others = entries.filter((e) => !(e.manager === options.fieldManager && e.operation === operation));
  obj.metadata.managedFields = [
    ...others,
    { manager: options.fieldManager, operation, apiVersion: options.apiVersion, time: now(), fieldsType: "FieldsV1", fieldsV1: {} },
  ];
}

function withManager(obj: StoredObject, fieldManager: string): StoredObject {
  const copy = structuredClone(obj);
  recordManager(copy, { dryRun: false, apiVersion: String(copy.apiVersion), fieldManager }, "Apply");
  return copy;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

function randomSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join("");
}
