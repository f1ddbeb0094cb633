import type { DestinationRule, Labels, PeerAuthentication, TrafficPolicy, Workload } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import type { Fix } from "../checks/finding.js";
import { serviceFqdn } from "../mesh/destination-rule.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { combineFixes, newFix } from "./new-fix.js";
import { workloadTemplatePatch } from "./workload-template-patch.js";

const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

/** `kubectl rollout restart`, as a server-side apply of the pod template annotation it sets. */
export function restartFix(workload: Workload, now: Date, why: string): Fix {
  const ref = `${workload.kind} ${workload.metadata?.namespace}/${workload.metadata?.name}`;
  return newFix(`Restart ${ref} ${why}`, "medium", [workloadTemplatePatch(workload, { [RESTARTED_AT]: now.toISOString().replace(/\.\d{3}Z$/, "Z") })]);
}

/**
 * The injection label a namespace should carry: `istio.io/rev=<rev>` where the mesh uses revisions
 * (namespaces already labelled so, or only a revisioned mesh config), else `istio-injection=enabled`.
 */
export function injectionLabel(view: SnapshotView): Labels {
  const revisions = new Set<string>();
  let legacy = false;
  for (const ns of view.namespaces()) {
    const labels = ns.metadata?.labels ?? {};
    if (labels["istio-injection"] === "enabled") legacy = true;
    else if (labels["istio.io/rev"] !== undefined && labels["istio-injection"] === undefined) revisions.add(labels["istio.io/rev"]);
  }
  const [only] = revisions;
  if (!legacy && revisions.size === 1 && only !== undefined) return { "istio.io/rev": only };
  const mesh = meshConfigFor(view);
  if (!legacy && revisions.size === 0 && mesh.revision !== "default") return { "istio.io/rev": mesh.revision };
  return { "istio-injection": "enabled" };
}

/** Label the namespace for injection, then restart the workload so its pods get a sidecar. */
export function injectFix(view: SnapshotView, namespace: string, workload: Workload | undefined, now: Date): Fix {
  const labels = injectionLabel(view);
  const label = newFix(`Label namespace ${namespace} for sidecar injection`, "low", [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } },
  ]);
  if (!workload) return label;
  const restart = restartFix(workload, now, "so that its pods are injected");
  const [key, value] = Object.entries(labels)[0] ?? ["", ""];
  return combineFixes(
    `Label namespace ${namespace} ${key}=${value} and restart ${workload.kind} ${workload.metadata?.name}`,
    "medium",
    [label, restart],
  );
}

/** The name of the PeerAuthentication that holds a workload's mTLS exceptions when it has none yet. */
export function exceptionsPolicyName(workload: string): string {
  return `${workload.slice(0, 63 - "-mtls-exceptions".length).replace(/-+$/, "")}-mtls-exceptions`;
}

/**
 * Port-level PERMISSIVE exceptions on one workload's pods, for every affected container port at once:
 * one workload policy per workload, since Istio ignores all but the oldest that select a pod (MTLS207).
 * Where a workload policy already selects the pods, that policy is extended: its mode and selector
 * are left as they are, and its other port entries are carried in the fix as they are, so that a
 * server-side apply (which drops fields its manager applied before and omits now) keeps them. Otherwise
 * `<workload>-mtls-exceptions` is created with the Service's selector.
 */
export function permissivePortsFix(
  existing: PeerAuthentication | undefined,
  target: { workload: string; namespace: string; selector: Labels },
  containerPorts: readonly number[],
): Fix {
  const ports = [...new Set(containerPorts)].sort((a, b) => a - b);
  const exceptions = Object.fromEntries(ports.map((p) => [String(p), { mode: "PERMISSIVE" as const }]));
  const name = existing?.metadata?.name ?? exceptionsPolicyName(target.workload);
  const policy: PeerAuthentication = {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace: target.namespace },
    spec: {
      selector: { matchLabels: { ...(existing ? (existing.spec?.selector?.matchLabels ?? {}) : target.selector) } },
      portLevelMtls: { ...structuredClone(existing?.spec?.portLevelMtls ?? {}), ...exceptions },
    },
  };
  const which = ports.length === 1 ? `container port ${ports[0]}` : `container ports ${ports.join(", ")}`;
  return newFix(
    `Accept plaintext on ${which} of ${target.workload} (port-level PERMISSIVE exception in PeerAuthentication ${target.namespace}/${name})`,
    "low",
    [policy],
  );
}

/** Set the DestinationRule's TLS mode to ISTIO_MUTUAL where it is set (port level or top level). */
export function istioMutualRuleFix(rule: DestinationRule, servicePort: number, portLevel: boolean): Fix {
  const name = rule.metadata?.name ?? "";
  const namespace = rule.metadata?.namespace ?? "";
  const trafficPolicy = portLevel
    ? {
        // portLevelSettings is an atomic list: the whole list is applied, with this port's entry changed.
        portLevelSettings: (rule.spec?.trafficPolicy?.portLevelSettings ?? []).map((s) =>
          s.port?.number === servicePort ? { ...structuredClone(s), tls: { mode: "ISTIO_MUTUAL" as const } } : structuredClone(s),
        ),
      }
    : { tls: { mode: "ISTIO_MUTUAL" as const } };
  return newFix(`Set DestinationRule ${namespace}/${name} to tls.mode ISTIO_MUTUAL`, "low", [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name, namespace },
      spec: { host: rule.spec?.host ?? "", trafficPolicy },
    },
  ]);
}

function withoutTls(policy: TrafficPolicy | undefined): void {
  if (!policy) return;
  delete policy.tls;
  for (const s of policy.portLevelSettings ?? []) delete s.tls;
}

/**
 * Remove the DestinationRule's `tls` (top level, port level and subsets) so auto mTLS decides. Server-
 * side apply cannot do it: it removes only fields its own manager set, and `tls` was set by whoever
 * wrote the rule (kubectl, Helm, a GitOps tool). A replace does: the file is the whole rule as it is
 * now (labels, annotations and resourceVersion kept, so the replace is refused if the rule changed
 * since), without `tls`. Shown for a person to run, never applied by the bot.
 */
export function removeRuleTlsFix(rule: DestinationRule): Fix {
  const spec = structuredClone(rule.spec ?? {});
  withoutTls(spec.trafficPolicy);
  for (const subset of spec.subsets ?? []) withoutTls(subset.trafficPolicy);
  const name = rule.metadata?.name ?? "";
  const namespace = rule.metadata?.namespace ?? "";
  const { labels, annotations, resourceVersion } = rule.metadata ?? {};
  const metadata = {
    name,
    namespace,
    ...(labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
  };
  return newFix(
    `Remove tls from DestinationRule ${namespace}/${name} so that auto mTLS applies`,
    "low",
    [{ apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata, spec }],
    {
      manual: true,
      note: "Server-side apply cannot remove a field another manager set, so this replaces the whole rule with this file (the rule as it is, without tls).\nWhere Helm or a GitOps tool manages the rule, remove tls in its source instead, or it will be put back.",
      byHand: "kubectl replace -f <file>",
    },
  );
}

/** A DestinationRule that gives clients ISTIO_MUTUAL for a service (auto mTLS is off). */
export function newIstioMutualRuleFix(target: { name: string; namespace: string }): Fix {
  return newFix(`Create DestinationRule ${target.namespace}/${target.name}-istio-mutual with tls.mode ISTIO_MUTUAL`, "low", [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: `${target.name}-istio-mutual`, namespace: target.namespace },
      spec: { host: serviceFqdn(target.name, target.namespace), trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
    },
  ]);
}

/** Shown, never applied: deleting or merging an ignored policy is a person's decision. */
export function deletePolicyFix(policy: PeerAuthentication, why: string): Fix {
  const name = policy.metadata?.name ?? "";
  const namespace = policy.metadata?.namespace ?? "";
  return newFix(
    `Delete or merge PeerAuthentication ${namespace}/${name} (${why})`,
    "low",
    [{ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name, namespace }, spec: structuredClone(policy.spec ?? {}) }],
    { manual: true, note: `Ignored by Istio: ${why}.\nDelete it, or merge what it says into the policy that wins.`, byHand: "kubectl delete -f <file>" },
  );
}

/** The same policy with a wrong portLevelMtls key moved to the container port. */
export function portKeyFix(policy: PeerAuthentication, wrongKey: string, containerPort: number): Fix {
  const spec = structuredClone(policy.spec ?? {});
  const entry = spec.portLevelMtls?.[wrongKey];
  if (spec.portLevelMtls && entry) {
    delete spec.portLevelMtls[wrongKey];
    spec.portLevelMtls[String(containerPort)] = entry;
  }
  const name = policy.metadata?.name ?? "";
  const namespace = policy.metadata?.namespace ?? "";
  return newFix(`Key portLevelMtls of ${namespace}/${name} by container port ${containerPort} instead of ${wrongKey}`, "low", [
    { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name, namespace }, spec },
  ]);
}

/** An ALLOW policy for one principal on the target's pods and ports: narrower than a whole namespace. */
export function allowPrincipalFix(
  target: { name: string; namespace: string; selector: Labels },
  source: { name: string; principal: string },
  containerPorts: number[],
): Fix {
  const rule: { from: { source: { principals: string[] } }[]; to?: { operation: { ports: string[] } }[] } = {
    from: [{ source: { principals: [source.principal] } }],
  };
  if (containerPorts.length > 0) rule.to = [{ operation: { ports: containerPorts.map(String) } }];
  return newFix(`Allow ${source.principal} to call ${target.name}`, "high", [
    {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: `allow-${source.name}-to-${target.name}`.slice(0, 63).replace(/-+$/, ""), namespace: target.namespace },
      spec: { action: "ALLOW", selector: { matchLabels: { ...target.selector } }, rules: [rule] },
    },
  ]);
}

/** Turn probe rewriting on for a workload's pods (kubelet's probes then go through the sidecar's status port). */
export function rewriteProbesFix(workload: Workload): Fix {
  const ref = `${workload.kind} ${workload.metadata?.namespace}/${workload.metadata?.name}`;
  return newFix(`Rewrite the HTTP probes of ${ref} to the sidecar's status port`, "medium", [
    workloadTemplatePatch(workload, { "sidecar.istio.io/rewriteAppHTTPProbers": "true" }),
  ]);
}

