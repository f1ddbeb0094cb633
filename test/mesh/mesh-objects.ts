import type {
  AuthorizationPolicy,
  ConfigMap,
  ContainerPort,
  DestinationRule,
  Labels,
  Namespace,
  PeerAuthentication,
  Pod,
  Service,
  ServicePort,
  Workload,
} from "../../src/cluster/kube-types.js";
import { addObject, emptySnapshot } from "../../src/cluster/snapshot.js";
import { SnapshotView } from "../../src/cluster/snapshot-view.js";

// Builders for the few objects the mesh semantics read, shaped as `kubectl get -o yaml` prints them.

export function namespace(name: string, labels: Labels = {}): Namespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

export interface PodOptions {
  labels?: Labels;
  annotations?: Labels;
  /** `sidecar`: an istio-proxy container; `native`: an istio-proxy init container with restartPolicy Always. */
  proxy?: "sidecar" | "native" | "none";
  ports?: ContainerPort[];
  hostNetwork?: boolean;
  serviceAccount?: string;
  phase?: string;
}

export function pod(ns: string, name: string, options: PodOptions = {}): Pod {
  const proxy = options.proxy ?? "sidecar";
  const app = { name: "app", image: "example/app:1", ports: options.ports ?? [{ name: "http", containerPort: 8080 }] };
  const sidecar = { name: "istio-proxy", image: "istio/proxyv2:1.26.4", ports: [{ name: "http-envoy-prom", containerPort: 15090 }] };
  const result: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: options.labels ?? {}, annotations: options.annotations ?? {} },
    spec: {
      serviceAccountName: options.serviceAccount ?? "default",
      containers: proxy === "sidecar" ? [app, sidecar] : [app],
      ...(proxy === "native" ? { initContainers: [{ ...sidecar, restartPolicy: "Always" }] } : {}),
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
    },
    status: { phase: options.phase ?? "Running" },
  };
  return result;
}

export function service(ns: string, name: string, selector: Labels, ports: ServicePort[]): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { selector, ports } };
}

export function deployment(ns: string, name: string, matchLabels: Labels): Workload {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels }, template: { metadata: { labels: matchLabels } } },
  };
}

/** Creation times a few minutes apart, oldest first: `created(0)` is older than `created(1)`. */
export function created(order: number): string {
  return new Date(Date.UTC(2025, 0, 1, 0, order)).toISOString().replace(/\.000Z$/, "Z");
}

export function peerAuthentication(
  ns: string,
  name: string,
  spec: NonNullable<PeerAuthentication["spec"]>,
  creationTimestamp: string = created(0),
): PeerAuthentication {
  return { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name, namespace: ns, creationTimestamp }, spec };
}

export function destinationRule(
  ns: string,
  name: string,
  spec: NonNullable<DestinationRule["spec"]>,
  creationTimestamp: string = created(0),
): DestinationRule {
  return { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name, namespace: ns, creationTimestamp }, spec };
}

export function authorizationPolicy(
  ns: string,
  name: string,
  spec: NonNullable<AuthorizationPolicy["spec"]>,
  annotations: Labels = {},
): AuthorizationPolicy {
  return { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace: ns, annotations }, spec };
}

/** A mesh config ConfigMap (`istio` or `istio-<revision>`) whose `mesh` key holds the given YAML. */
export function meshConfigMap(name: string, mesh: string, ns = "istio-system"): ConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { mesh } };
}

/** A view over a snapshot holding exactly these objects; an object the snapshot would drop is a mistake in the test. */
export function viewOf(...objects: unknown[]): SnapshotView {
  const snapshot = emptySnapshot();
  for (const obj of objects) {
    if (!addObject(snapshot, obj)) throw new Error(`test fixture not kept by the snapshot: ${JSON.stringify(obj).slice(0, 120)}`);
  }
  return new SnapshotView(snapshot);
}
