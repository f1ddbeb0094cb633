import { emptySnapshot, type ClusterSnapshot } from "../../src/cluster/snapshot.js";

export const WORKERS = 35;
export const DISABLED_SERVICES = 5;

const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  creationTimestamp: "2026-01-01T00:00:00Z",
  ...extra,
});

const proxy = { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.26.4" };
const running = (names: string[]) => ({ phase: "Running", containerStatuses: names.map((name) => ({ name, ready: true, restartCount: 0 })) });

/**
 * Namespace `batch`, STRICT, with 40 critical problems: 35 `worker-N` pods behind Service `workers`
 * whose HTTP liveness probe was not rewritten (MTLS501), and 5 Services `svc-N` whose DestinationRule
 * disables TLS (MTLS203).
 */
export function manyProblems(): ClusterSnapshot {
  const s = emptySnapshot();
  s.namespaces.push(
    { apiVersion: "v1", kind: "Namespace", metadata: meta("istio-system", undefined, { labels: { "kubernetes.io/metadata.name": "istio-system" } }) },
    { apiVersion: "v1", kind: "Namespace", metadata: meta("batch", undefined, { labels: { "kubernetes.io/metadata.name": "batch", "istio-injection": "enabled" } }) },
  );
  s.configMaps.push({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("istio", "istio-system"), data: { mesh: "rootNamespace: istio-system\ntrustDomain: cluster.local\n" } });
  s.peerAuthentications.push({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: meta("default", "batch"), spec: { mtls: { mode: "STRICT" } } });
  s.services.push({
    apiVersion: "v1",
    kind: "Service",
    metadata: meta("workers", "batch"),
    spec: { selector: { app: "workers" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  });
  for (let i = 0; i < WORKERS; i++) {
    s.pods.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta(`worker-${i}`, "batch", { labels: { app: "workers" } }),
      spec: {
        containers: [
          { name: "worker", image: "registry.example/worker:1", ports: [{ name: "http", containerPort: 8080 }], livenessProbe: { httpGet: { path: "/healthz", port: 8080 } } },
          proxy,
        ],
      },
      status: running(["worker", "istio-proxy"]),
    });
  }
  for (let i = 0; i < DISABLED_SERVICES; i++) {
    const app = `svc-${i}`;
    s.services.push({ apiVersion: "v1", kind: "Service", metadata: meta(app, "batch"), spec: { selector: { app }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } });
    s.pods.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta(`${app}-0`, "batch", { labels: { app } }),
      spec: { containers: [{ name: "app", image: "registry.example/app:1", ports: [{ containerPort: 8080 }] }, proxy] },
      status: running(["app", "istio-proxy"]),
    });
    s.destinationRules.push({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: meta(app, "batch"),
      spec: { host: app, trafficPolicy: { tls: { mode: "DISABLE" } } },
    });
  }
  return s;
}
