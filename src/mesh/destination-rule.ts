import type { ClientTlsSettings, DestinationRule, Labels, TlsMode } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import { matchesLabels } from "./labels.js";
import { meshConfigFor } from "./mesh-config.js";
import { oldestFirst } from "./ordering.js";

/** The cluster DNS domain Kubernetes service names live under. */
export const SERVICE_DOMAIN = "cluster.local";

export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${SERVICE_DOMAIN}`;
}

/** A DestinationRule host as Istio reads it: a host without a dot is relative to the rule's namespace. */
export function resolveRuleHost(host: string, ruleNamespace: string): string {
  if (host === "*" || host.includes(".")) return host;
  return serviceFqdn(host, ruleNamespace);
}

/** 0: no match; otherwise larger is more specific (an exact host beats every wildcard). */
function hostMatchScore(ruleHost: string, fqdn: string): number {
  if (ruleHost === fqdn) return Number.MAX_SAFE_INTEGER;
  if (ruleHost === "*") return 1;
  if (ruleHost.startsWith("*.") || ruleHost.startsWith("*")) {
    const suffix = ruleHost.slice(1);
    return fqdn.endsWith(suffix) ? 1 + suffix.length : 0;
  }
  return 0;
}

/** `exportTo`: default every namespace; `.` the rule's own namespace; `~` none; names; `*` all. */
export function isExportedTo(rule: DestinationRule, clientNamespace: string): boolean {
  const exportTo = rule.spec?.exportTo;
  const own = rule.metadata?.namespace ?? "";
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === "*" || (e === "." ? own === clientNamespace : e === clientNamespace));
}

export interface Client {
  namespace: string;
  /** The client pod's labels, for rules with a workloadSelector; undefined for a hypothetical client. */
  labels?: Labels;
}

/**
 * The DestinationRule that applies to a client calling a service (FINDINGS.md "What the client sends"):
 * the client's namespace first (rules whose workloadSelector matches the client before the others),
 * then the service's namespace, then the root namespace; the first namespace with a matching rule wins,
 * within it an exact host beats a wildcard (the more specific wildcard first), and among equals the
 * oldest wins. `exportTo` is honoured.
 */
export function destinationRuleFor(
  view: SnapshotView,
  client: Client,
  service: { name: string; namespace: string },
): DestinationRule | undefined {
  const root = meshConfigFor(view).rootNamespace;
  const fqdn = serviceFqdn(service.name, service.namespace);
  const order = [...new Set([client.namespace, service.namespace, root])];
  for (const ns of order) {
    const ranked: { rule: DestinationRule; selected: boolean; score: number }[] = [];
    for (const rule of view.destinationRules(ns)) {
      const selector = rule.spec?.workloadSelector?.matchLabels;
      let selected = false;
      if (selector && Object.keys(selector).length > 0) {
        // A workloadSelector only applies to workloads of the rule's own namespace.
        if (ns !== client.namespace || client.labels === undefined) continue;
        if (!matchesLabels(selector, client.labels)) continue;
        selected = true;
      }
      if (!isExportedTo(rule, client.namespace)) continue;
      const score = hostMatchScore(resolveRuleHost(rule.spec?.host ?? "", ns), fqdn);
      if (score > 0) ranked.push({ rule, selected, score });
    }
    if (ranked.length === 0) continue;
    ranked.sort((a, b) => Number(b.selected) - Number(a.selected) || b.score - a.score || oldestFirst(a.rule, b.rule));
    return ranked[0]?.rule;
  }
  return undefined;
}

export interface RuleTls {
  tls: ClientTlsSettings;
  /** The mode as Istio reads it: a `tls` block without a mode is DISABLE (the proto default). */
  mode: TlsMode;
  /** Where in the rule it was found, for evidence: `portLevelSettings[port 80]` or `trafficPolicy`. */
  where: string;
}

/** The rule's TLS settings for a Service port: `portLevelSettings` for that port beat `trafficPolicy.tls`. */
export function ruleTlsForPort(rule: DestinationRule, servicePort: number): RuleTls | undefined {
  const policy = rule.spec?.trafficPolicy;
  const portLevel = policy?.portLevelSettings?.find((p) => p.port?.number === servicePort);
  if (portLevel?.tls) return { tls: portLevel.tls, mode: portLevel.tls.mode ?? "DISABLE", where: `portLevelSettings[port ${servicePort}]` };
  if (policy?.tls) return { tls: policy.tls, mode: policy.tls.mode ?? "DISABLE", where: "trafficPolicy" };
  return undefined;
}

/** Subsets whose own traffic policy sets TLS for the port: traffic routed to them uses that instead. */
export function subsetTlsForPort(rule: DestinationRule, servicePort: number): { subset: string; tls: RuleTls }[] {
  const out: { subset: string; tls: RuleTls }[] = [];
  for (const subset of rule.spec?.subsets ?? []) {
    if (!subset.trafficPolicy) continue;
    const tls = ruleTlsForPort({ spec: { trafficPolicy: subset.trafficPolicy } }, servicePort);
    if (tls) out.push({ subset: subset.name ?? "?", tls: { ...tls, where: `subset ${subset.name ?? "?"} ${tls.where}` } });
  }
  return out;
}
