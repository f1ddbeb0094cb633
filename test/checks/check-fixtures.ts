import { addObject, emptySnapshot, type ClusterSnapshot } from "../../src/cluster/snapshot.js";
import type { KubeObject, Pod } from "../../src/cluster/kube-types.js";
import type { Check } from "../../src/checks/types.js";
import type { Finding } from "../../src/checks/finding.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { Report } from "../../src/report/report.js";

// Small snapshots for check tests: a namespace with an injected Deployment behind a Service, built
// object by object as `kubectl get -o yaml` would show them.

export const NOW = new Date("2026-11-27T12:00:00Z");

export interface AppOptions {
  namespace: string;
  app: string;
  /** Pod name suffixes; one pod each. */
  pods?: string[];
  serviceAccount?: string;
  containerPort?: number;
  servicePort?: number;
  proxy?: boolean;
  phase?: string;
}

/** A Namespace, ServiceAccount, Deployment → ReplicaSet → Pods, and a Service selecting them. */
export function app(opts: AppOptions): KubeObject[] {
  const { namespace, app: name } = opts;
  const containerPort = opts.containerPort ?? 8080;
  const sa = opts.serviceAccount ?? name;
  const rsName = `${name}-5d8f7c9b4`;
  const labels = { app: name };
  const podSpec = {
    serviceAccountName: sa,
    containers: [
      { name, image: `example/${name}:1`, ports: [{ name: "http", containerPort }] },
      ...(opts.proxy === false ? [] : [{ name: "istio-proxy", image: "istio/proxyv2:1.26.4", ports: [{ name: "http-envoy-prom", containerPort: 15090 }] }]),
    ],
  };
  const pods: Pod[] = (opts.pods ?? ["a1b2c"]).map((suffix) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${rsName}-${suffix}`,
      namespace,
      labels: { ...labels, "pod-template-hash": "5d8f7c9b4" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: rsName, controller: true }],
    },
    spec: podSpec,
    status: { phase: opts.phase ?? "Running" },
  }));
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { "istio-injection": "enabled" } } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, labels },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
    } as KubeObject,
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: rsName, namespace, ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, controller: true }] },
      spec: { selector: { matchLabels: { ...labels, "pod-template-hash": "5d8f7c9b4" } } },
    } as KubeObject,
    ...pods,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace },
      spec: { selector: labels, ports: [{ name: "http", port: opts.servicePort ?? 80, targetPort: containerPort }] },
    } as KubeObject,
  ];
}

export function podName(app: string, suffix = "a1b2c"): string {
  return `${app}-5d8f7c9b4-${suffix}`;
}

export function peerAuthentication(namespace: string, name: string, mode: string): KubeObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace, creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { mtls: { mode } },
  } as KubeObject;
}

export function snapshotOf(...objects: KubeObject[]): ClusterSnapshot {
  const snapshot = emptySnapshot();
  for (const obj of objects) addObject(snapshot, structuredClone(obj));
  return snapshot;
}

export interface RunOptions {
  from?: { name: string; namespace: string };
  now?: Date;
  certificateWarningMs?: number;
}

/** `mtls-doctor check <service>.<namespace>` with only the given check. */
export function runCheck(check: Check, snapshot: ClusterSnapshot, target: { service: string; namespace: string }, opts: RunOptions = {}): Report {
  const request = {
    mode: "check" as const,
    target,
    now: opts.now ?? NOW,
    ...(opts.from ? { from: opts.from } : {}),
  };
  return diagnose(snapshot, request, {
    checks: [check],
    ...(opts.certificateWarningMs !== undefined ? { options: { certificateWarningMs: opts.certificateWarningMs } } : {}),
  });
}

export function scanWith(check: Check, snapshot: ClusterSnapshot, namespaces: string[] = []): Report {
  return diagnose(snapshot, { mode: "scan", namespaces, now: NOW }, { checks: [check] });
}

export function codesAndResources(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.code} ${f.resource}`);
}

/** A report's one check status, asserting the check did not fail. */
export function statusOf(report: Report): string {
  const [status] = report.checks;
  if (status?.status === "failed") throw new Error(`check failed: ${status.detail}`);
  return status?.status ?? "missing";
}
