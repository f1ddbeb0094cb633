import type { ClusterSnapshot } from "../src/cluster/snapshot.js";
import { addObject, emptySnapshot } from "../src/cluster/snapshot.js";

export interface ClusterShape {
  namespaces: number;
  workloadsPerNamespace: number;
  podsPerWorkload: number;
}

/** The shape with about `pods` pods: 20 workloads of 5 pods per namespace. */
export function shapeForPods(pods: number): ClusterShape {
  return { namespaces: Math.max(1, Math.round(pods / 100)), workloadsPerNamespace: 20, podsPerWorkload: 5 };
}

const CREATED = "2026-01-01T00:00:00Z";

/**
 * A synthetic mesh: every namespace injected (one in ten not), every other namespace STRICT, one
 * workload policy with a port-level exception, a DestinationRule and an ALLOW policy per namespace,
 * and one in fifty pods without a sidecar. Objects look like what `kubectl get -o yaml` prints.
 */
export function generateCluster(shape: ClusterShape): ClusterSnapshot {
  const snapshot = emptySnapshot();
  const add = (obj: object) => addObject(snapshot, obj);
  add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-system" } });
  add({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "istio", namespace: "istio-system" },
    data: { mesh: "rootNamespace: istio-system\ntrustDomain: cluster.local\n" },
  });
  add({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system", creationTimestamp: CREATED }, spec: { mtls: { mode: "PERMISSIVE" } } });
  let podCount = 0;
  for (let n = 0; n < shape.namespaces; n++) {
    const ns = `team-${n}`;
    const injected = n % 10 !== 9;
    add({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: injected ? { "istio-injection": "enabled" } : {} } });
    if (n % 2 === 0) {
      add({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: ns, creationTimestamp: CREATED }, spec: { mtls: { mode: "STRICT" } } });
    }
    add({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "svc-0-legacy", namespace: ns, creationTimestamp: CREATED },
      spec: { selector: { matchLabels: { app: "svc-0" } }, portLevelMtls: { "8081": { mode: "PERMISSIVE" } } },
    });
    add({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "svc-1", namespace: ns, creationTimestamp: CREATED },
      spec: { host: "svc-1", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
    });
    add({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "allow-same-namespace", namespace: ns, creationTimestamp: CREATED },
      spec: { selector: { matchLabels: { app: "svc-2" } }, action: "ALLOW", rules: [{ from: [{ source: { namespaces: [ns] } }] }] },
    });
    for (let w = 0; w < shape.workloadsPerNamespace; w++) {
      const app = `svc-${w}`;
      const labels = { app, version: "v1" };
      const hash = `h${n}x${w}`;
      add({ apiVersion: "v1", kind: "Service", metadata: { name: app, namespace: ns }, spec: { selector: { app }, ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "grpc", port: 9090, targetPort: 8081 }] } });
      add({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: app, namespace: ns, labels }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: app, containers: [{ name: app }] } } } });
      add({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: `${app}-${hash}`, namespace: ns, ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: app, controller: true }] }, spec: { selector: { matchLabels: { ...labels, "pod-template-hash": hash } } } });
      for (let p = 0; p < shape.podsPerWorkload; p++) {
        podCount++;
        const sidecar = injected && podCount % 50 !== 0;
        const appContainer = {
          name: app,
          image: `registry.example/${app}:1.0`,
          ports: [{ name: "http", containerPort: 8080 }, { name: "grpc", containerPort: 8081 }],
          readinessProbe: { httpGet: { path: sidecar ? `/app-health/${app}/readyz` : "/ready", port: sidecar ? 15020 : 8080 } },
        };
        const containers = sidecar ? [appContainer, { name: "istio-proxy", image: "istio/proxyv2:1.26.4", ports: [{ name: "http-envoy-prom", containerPort: 15090 }] }] : [appContainer];
        add({
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: `${app}-${hash}-${p}`,
            namespace: ns,
            labels: { ...labels, "pod-template-hash": hash },
            ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${app}-${hash}`, controller: true }],
          },
          spec: { serviceAccountName: app, containers },
          status: {
            phase: "Running",
            containerStatuses: containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, state: { running: { startedAt: CREATED } } })),
          },
        });
      }
    }
  }
  return snapshot;
}
