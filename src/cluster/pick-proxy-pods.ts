import type { LabelSelector, Labels, Pod, Service, Workload } from "./kube-types.js";
import { matchesSelector } from "../mesh/labels.js";
import { hasProxy } from "../mesh/proxy.js";

/** The objects of one or more namespaces that proxy selection reads. */
export interface ListedObjects {
  services: readonly Service[];
  workloads: readonly Workload[];
  pods: readonly Pod[];
}

export interface ServiceRef {
  service: string;
  namespace: string;
}

export interface WorkloadRef {
  name: string;
  namespace: string;
}

/** How `--from NAME` resolved: the selector of a Service of that name, else of a workload. */
export interface ResolvedSelector {
  kind: "Service" | "Deployment" | "StatefulSet" | "DaemonSet";
  selector: LabelSelector;
}

export interface ProxyPodChoice {
  target: Pod[];
  source: Pod[];
  /** What was left out and why (caps). */
  notes: string[];
}

const SOURCE_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;

/** The selector of the target Service, or undefined when there is no such Service (or it selects nothing). */
export function serviceSelector(objects: ListedObjects, ref: ServiceRef): LabelSelector | undefined {
  const service = objects.services.find((s) => s.metadata?.namespace === ref.namespace && s.metadata?.name === ref.service);
  return nonEmpty(service?.spec?.selector);
}

/** `--from`: a Service named so in the namespace, else a Deployment, StatefulSet or DaemonSet. */
export function resolveSourceSelector(objects: ListedObjects, ref: WorkloadRef): ResolvedSelector | undefined {
  const service = objects.services.find((s) => s.metadata?.namespace === ref.namespace && s.metadata?.name === ref.name);
  if (service) {
    const selector = nonEmpty(service.spec?.selector);
    return selector ? { kind: "Service", selector } : undefined;
  }
  for (const kind of SOURCE_KINDS) {
    const workload = objects.workloads.find(
      (w) => w.kind === kind && w.metadata?.namespace === ref.namespace && w.metadata?.name === ref.name,
    );
    if (workload) {
      const selector = workload.spec?.selector;
      const empty = !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
      return empty ? undefined : { kind, selector };
    }
  }
  return undefined;
}

function nonEmpty(labels: Labels | undefined): LabelSelector | undefined {
  return labels && Object.keys(labels).length > 0 ? { matchLabels: labels } : undefined;
}

/** Proxies inspected per workload in `check`: the replicas of one workload share one configuration. */
export const MAX_PROXIES_PER_WORKLOAD = 3;

/**
 * The pods whose proxies are inspected in `check`: those the target Service selects and those of the
 * source, running with a sidecar, at most `maxPerWorkload` per owning workload and `maxPerSide` in all.
 * Within a workload the choice covers what differs between replicas: not-ready proxies first, then a
 * pod of each sidecar revision and each node not yet covered, then by name (stable). A pod that is
 * both target and source is inspected once, as a target pod.
 */
export function pickProxyPods(
  objects: ListedObjects,
  refs: { target?: ServiceRef; source?: WorkloadRef },
  maxPerSide: number,
  maxPerWorkload: number = MAX_PROXIES_PER_WORKLOAD,
): ProxyPodChoice {
  const notes: string[] = [];
  const pick = (namespace: string, selector: LabelSelector | undefined, side: string): Pod[] => {
    if (!selector) return [];
    const candidates = objects.pods
      .filter((p) => p.metadata?.namespace === namespace && matchesSelector(selector, p.metadata?.labels))
      .filter(isInspectable)
      .sort(byName);
    const byOwner = new Map<string, Pod[]>();
    for (const pod of candidates) byOwner.set(ownerKey(pod), [...(byOwner.get(ownerKey(pod)) ?? []), pod]);
    const spreadOut = [...byOwner.values()].flatMap((pods) => spread(pods, maxPerWorkload));
    const chosen = [...spreadOut.filter((p) => !isReady(p)), ...spreadOut.filter(isReady)].slice(0, maxPerSide);
    if (chosen.length < candidates.length) {
      notes.push(
        `proxies of ${chosen.length} of the ${candidates.length} ${side} pods in ${namespace} were inspected ` +
          `(at most ${maxPerWorkload} per workload and ${maxPerSide} per side: not-ready first, then one per sidecar revision and node)`,
      );
    }
    return chosen;
  };
  const target = refs.target ? pick(refs.target.namespace, serviceSelector(objects, refs.target), "target") : [];
  const chosen = new Set(target.map(podKey));
  const source = refs.source
    ? pick(refs.source.namespace, resolveSourceSelector(objects, refs.source)?.selector, "source").filter((p) => !chosen.has(podKey(p)))
    : [];
  return { target, source, notes };
}

/**
 * The pods whose proxies are inspected in `scan` and `snapshot`: in each namespace one pod per owning
 * workload (a Deployment's pods share one configuration), at most `maxPerNamespace` per namespace and
 * `maxTotal` in all.
 */
export function pickScanProxyPods(
  pods: readonly Pod[],
  maxPerNamespace: number,
  maxTotal: number,
): { pods: Pod[]; notes: string[] } {
  const notes: string[] = [];
  const byNamespace = new Map<string, Map<string, Pod>>();
  for (const pod of [...pods].filter(isInspectable).sort(byReadinessThenName)) {
    const ns = pod.metadata?.namespace ?? "";
    let owners = byNamespace.get(ns);
    if (!owners) byNamespace.set(ns, (owners = new Map()));
    const owner = ownerKey(pod);
    if (!owners.has(owner)) owners.set(owner, pod);
  }
  const chosen: Pod[] = [];
  for (const [ns, owners] of [...byNamespace].sort(([a], [b]) => a.localeCompare(b))) {
    const all = [...owners.values()];
    if (all.length > maxPerNamespace) {
      notes.push(`proxies of ${maxPerNamespace} of the ${all.length} workloads with sidecars in ${ns} were inspected (the limit per namespace)`);
    }
    chosen.push(...all.slice(0, maxPerNamespace));
  }
  if (chosen.length > maxTotal) {
    notes.push(`proxies of ${maxTotal} of ${chosen.length} eligible pods were inspected (the overall limit)`);
    chosen.length = maxTotal;
  }
  return { pods: chosen, notes };
}

/** A running pod with a sidecar, whose proxy can be asked for its configuration. */
function isInspectable(pod: Pod): boolean {
  return pod.status?.phase === "Running" && hasProxy(pod);
}

/** Up to `max` pods of one workload, each adding what the ones before did not cover. */
function spread(pods: readonly Pod[], max: number): Pod[] {
  const chosen: Pod[] = [];
  const revisions = new Set<string>();
  const nodes = new Set<string>();
  const remaining = [...pods];
  while (chosen.length < max && remaining.length > 0) {
    const score = (pod: Pod) =>
      (isReady(pod) ? 0 : 4) + (revisions.has(revisionOf(pod)) ? 0 : 2) + (nodes.has(pod.spec?.nodeName ?? "") ? 0 : 1);
    let best = 0;
    for (let i = 1; i < remaining.length; i++) {
      if (score(remaining[i] as Pod) > score(remaining[best] as Pod)) best = i;
    }
    const [pod] = remaining.splice(best, 1) as [Pod];
    chosen.push(pod);
    revisions.add(revisionOf(pod));
    nodes.add(pod.spec?.nodeName ?? "");
  }
  return chosen;
}

/** The sidecar's revision: the pod's `istio.io/rev` label, else the injector's status annotation. */
function revisionOf(pod: Pod): string {
  const label = pod.metadata?.labels?.["istio.io/rev"];
  if (label) return label;
  const status = pod.metadata?.annotations?.["sidecar.istio.io/status"];
  if (status) {
    try {
      const revision = (JSON.parse(status) as { revision?: unknown }).revision;
      if (typeof revision === "string" && revision !== "") return revision;
    } catch {
      // An unreadable annotation says nothing about the revision.
    }
  }
  return "default";
}

function isReady(pod: Pod): boolean {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return statuses.find((s) => s.name === "istio-proxy")?.ready === true;
}

function byName(a: Pod, b: Pod): number {
  return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

function byReadinessThenName(a: Pod, b: Pod): number {
  const ready = Number(isReady(b)) - Number(isReady(a));
  return ready !== 0 ? ready : (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

function ownerKey(pod: Pod): string {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner?.name) return `Pod/${pod.metadata?.name ?? ""}`;
  const hash = pod.metadata?.labels?.["pod-template-hash"];
  if (owner.kind === "ReplicaSet" && hash && owner.name.endsWith(`-${hash}`)) {
    return `Deployment/${owner.name.slice(0, -hash.length - 1)}`;
  }
  return `${owner.kind ?? ""}/${owner.name}`;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

/** A selector as the API's `labelSelector` query: `app=web,tier in (a,b),!legacy`. */
export function labelSelectorQuery(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const expr of selector.matchExpressions ?? []) {
    const values = (expr.values ?? []).join(",");
    switch (expr.operator) {
      case "In":
        parts.push(`${expr.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${expr.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(expr.key);
        break;
      case "DoesNotExist":
        parts.push(`!${expr.key}`);
        break;
    }
  }
  return parts.join(",");
}
