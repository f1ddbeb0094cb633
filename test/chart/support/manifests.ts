// Typed views of rendered objects for the chart tests: pod specs, containers, env, RBAC rules.

import path from "node:path";
import { byKind, ciValueFiles, mergeValues, readYamlFile, renderChart, type Manifest, type Rendered, type Values } from "./render-chart.js";

export interface EnvVar {
  name: string;
  value?: unknown;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export interface Container {
  name: string;
  args?: unknown[];
  command?: unknown[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: unknown;
  tcpSocket?: unknown;
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
}

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The values of a CI file by its short name (`socket-mode` for ci/socket-mode-values.yaml). */
export function ciValues(name: string): Values {
  const file = ciValueFiles().find((f) => path.basename(f) === `${name}-values.yaml`);
  if (!file) throw new Error(`no ci/${name}-values.yaml`);
  return readYamlFile(file);
}

export function renderCi(name: string, extra: Values = {}): Rendered {
  return renderChart(mergeValues(ciValues(name), extra));
}

/** The objects that run pods, with their pod specs. */
export function podSpecs(rendered: Rendered): { owner: Manifest; spec: PodSpec }[] {
  return rendered.manifests
    .filter((m) => ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"].includes(m.kind))
    .map((m) => {
      const spec = m["spec"] as { template?: { spec: PodSpec }; jobTemplate?: { spec: { template: { spec: PodSpec } } } } & PodSpec;
      const pod = m.kind === "Pod" ? spec : m.kind === "CronJob" ? spec.jobTemplate?.spec.template.spec : spec.template?.spec;
      if (!pod) throw new Error(`${m.kind}/${m.metadata.name} has no pod spec`);
      return { owner: m, spec: pod };
    });
}

export function deployment(rendered: Rendered, component: "bot" | "worker"): Manifest | undefined {
  return byKind(rendered, "Deployment").get(`doctor-mtls-doctor-${component}`);
}

export function container(rendered: Rendered, component: "bot" | "worker"): Container {
  const d = deployment(rendered, component);
  const spec = (d?.["spec"] as { template: { spec: PodSpec } } | undefined)?.template.spec;
  const c = spec?.containers.find((x) => x.name === component);
  if (!c) throw new Error(`no ${component} container`);
  return c;
}

export function env(c: Container): Map<string, EnvVar> {
  return new Map((c.env ?? []).map((e) => [e.name, e]));
}

export function rulesOf(rendered: Rendered, kind: "ClusterRole" | "Role", name: string): Rule[] | undefined {
  return byKind(rendered, kind).get(name)?.["rules"] as Rule[] | undefined;
}

/** Every rule of every Role and ClusterRole the chart renders. */
export function allRules(rendered: Rendered): { role: string; rule: Rule }[] {
  return rendered.manifests
    .filter((m) => m.kind === "Role" || m.kind === "ClusterRole")
    .flatMap((m) => ((m["rules"] as Rule[] | undefined) ?? []).map((rule) => ({ role: `${m.kind}/${m.metadata.name}`, rule })));
}
