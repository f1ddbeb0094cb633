import { emptySnapshot, type ClusterSnapshot } from "../../src/cluster/snapshot.js";
import type { Pod } from "../../src/cluster/kube-types.js";

export interface SyntheticClusterOptions {
  /** Application namespaces `ns-0000` … besides istio-system. */
  namespaces: number;
  /** Pods behind each namespace's `app` Service. */
  podsPerNamespace?: number;
  /** Pods behind `app` in `ns-0001`, the target namespace. */
  targetPods?: number;
}

export const TARGET = { service: "app", namespace: "ns-0001" } as const;
/** `client` is a Deployment (no Service of that name) in ns-0002. */
export const SOURCE = { name: "client", namespace: "ns-0002" } as const;

const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: `${namespace ?? "cluster"}-${name}`,
  resourceVersion: "1",
  creationTimestamp: "2026-01-01T00:00:00Z",
  ...extra,
});

/**
 * A mesh with many namespaces, each an injected namespace with an `app` Service, its Deployment and
 * pods with sidecars, a namespace-wide STRICT PeerAuthentication and a DestinationRule; ns-0002 also
 * runs the `client` Deployment. Sized to show what the collector reads does not grow with the cluster.
 */
export function syntheticCluster(options: SyntheticClusterOptions): ClusterSnapshot {
  const snapshot = emptySnapshot();
  snapshot.namespaces.push({ apiVersion: "v1", kind: "Namespace", metadata: meta("istio-system", undefined, { labels: { "kubernetes.io/metadata.name": "istio-system" } }) });
  snapshot.configMaps.push({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta("istio", "istio-system"),
    data: { mesh: "rootNamespace: istio-system\ntrustDomain: cluster.local\n" },
  });
  snapshot.peerAuthentications.push({
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: meta("default", "istio-system"),
    spec: { mtls: { mode: "STRICT" } },
  });
  for (let i = 0; i < options.namespaces; i++) {
    const ns = `ns-${String(i).padStart(4, "0")}`;
    const pods = ns === TARGET.namespace ? (options.targetPods ?? options.podsPerNamespace ?? 2) : (options.podsPerNamespace ?? 2);
    snapshot.namespaces.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: meta(ns, undefined, { labels: { "kubernetes.io/metadata.name": ns, "istio-injection": "enabled" } }),
    });
    addApp(snapshot, ns, "app", pods, true);
    if (ns === SOURCE.namespace) addApp(snapshot, ns, "client", 2, false);
    snapshot.peerAuthentications.push({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: meta("default", ns),
      spec: { mtls: { mode: "STRICT" } },
    });
    snapshot.destinationRules.push({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: meta("app", ns),
      spec: { host: `app.${ns}.svc.cluster.local`, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
    });
  }
  return snapshot;
}

function addApp(snapshot: ClusterSnapshot, ns: string, app: string, pods: number, withService: boolean): void {
  const hash = "5d8f7c9b4";
  if (withService) {
    snapshot.services.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(app, ns, { labels: { app } }),
      spec: { selector: { app }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], type: "ClusterIP", clusterIP: "10.0.0.1" },
    });
  }
  snapshot.workloads.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(app, ns, { labels: { app } }),
    spec: { replicas: pods, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: app, image: `example/${app}:1.0` }] } } },
  });
  for (let p = 0; p < pods; p++) snapshot.pods.push(syntheticPod(ns, app, hash, p));
}

/** A pod about the size of a real injected one: app container, istio-proxy, probes rewritten. */
export function syntheticPod(ns: string, app: string, hash: string, index: number): Pod {
  const name = `${app}-${hash}-${index.toString(36).padStart(5, "0")}`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta(name, ns, {
      labels: { app, "pod-template-hash": hash, "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": app },
      annotations: {
        "sidecar.istio.io/status": `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}`,
        "prometheus.io/path": "/stats/prometheus",
        "prometheus.io/port": "15020",
      },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${app}-${hash}`, controller: true }],
    }),
    spec: {
      serviceAccountName: app,
      containers: [
        {
          name: app,
          image: `example/${app}:1.0`,
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          livenessProbe: { httpGet: { path: `/app-health/${app}/livez`, port: 15020, scheme: "HTTP" } },
          readinessProbe: { httpGet: { path: `/app-health/${app}/readyz`, port: 15020, scheme: "HTTP" } },
        },
        {
          name: "istio-proxy",
          image: "docker.io/istio/proxyv2:1.26.4",
          ports: [{ name: "http-envoy-prom", containerPort: 15090, protocol: "TCP" }],
          readinessProbe: { httpGet: { path: "/healthz/ready", port: 15021, scheme: "HTTP" } },
        },
      ],
      initContainers: [{ name: "istio-init", image: "docker.io/istio/proxyv2:1.26.4" }],
    },
    status: {
      phase: "Running",
      podIP: `10.1.${index % 250}.${(index >> 8) % 250}`,
      containerStatuses: [
        { name: app, ready: true, restartCount: 0, started: true, state: { running: { startedAt: "2026-01-01T00:01:00Z" } } },
        { name: "istio-proxy", ready: true, restartCount: 0, started: true, state: { running: { startedAt: "2026-01-01T00:00:30Z" } } },
      ],
    },
  };
}
