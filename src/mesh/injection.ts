import type { Namespace, Pod } from "../cluster/kube-types.js";

export interface NamespaceInjection {
  /** Sidecar injection is on (istio-injection=enabled, or istio.io/rev with istio-injection unset). */
  injected: boolean;
  /** `istio-injection=disabled`: an explicit no. */
  disabled: boolean;
  ambient: boolean;
  /** The revision injection uses: `default` for istio-injection=enabled, else the istio.io/rev value. */
  revision?: string;
  /** The data-plane labels present that compete (more than one is a conflict: MTLS106). */
  competing: string[];
}

export function namespaceInjection(ns: Namespace | undefined): NamespaceInjection {
  const labels = ns?.metadata?.labels ?? {};
  const legacy = labels["istio-injection"];
  const rev = labels["istio.io/rev"];
  const ambient = labels["istio.io/dataplane-mode"] === "ambient";
  const disabled = legacy === "disabled";
  const competing: string[] = [];
  if (legacy === "enabled") competing.push("istio-injection=enabled");
  if (rev !== undefined) competing.push(`istio.io/rev=${rev}`);
  if (ambient) competing.push("istio.io/dataplane-mode=ambient");
  // istio-injection wins over istio.io/rev when both are set; disabled is an explicit "no".
  const injected = legacy === "enabled" || (legacy === undefined && rev !== undefined);
  const result: NamespaceInjection = { injected, disabled, ambient, competing };
  if (legacy === "enabled") result.revision = "default";
  else if (injected && rev !== undefined) result.revision = rev;
  return result;
}

export type OptOut = "label" | "annotation";

/** `sidecar.istio.io/inject: "false"` on the pod; the label wins over the annotation. */
export function injectionOptOut(pod: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } }): OptOut | undefined {
  const label = pod.metadata?.labels?.["sidecar.istio.io/inject"];
  if (label !== undefined) return label === "false" ? "label" : undefined;
  return pod.metadata?.annotations?.["sidecar.istio.io/inject"] === "false" ? "annotation" : undefined;
}

export function isSystemNamespace(name: string, rootNamespace: string): boolean {
  return name.startsWith("kube-") || name === rootNamespace;
}

/** Why a pod without a proxy has none, for MTLS101's message. */
export function missingProxyReason(pod: Pod, ns: Namespace | undefined): string {
  const name = pod.metadata?.namespace ?? "";
  const optOut = injectionOptOut(pod);
  if (optOut) return `it opts out of injection with the ${optOut} sidecar.istio.io/inject: "false"`;
  const injection = namespaceInjection(ns);
  if (injection.disabled) return `namespace ${name} has injection disabled (istio-injection=disabled)`;
  if (!injection.injected) return `namespace ${name} is not labelled for injection`;
  return `namespace ${name} is injected but the pod has no sidecar: it likely predates the label; restart it`;
}
