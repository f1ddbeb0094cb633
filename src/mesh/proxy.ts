import type { Container, Namespace, Pod } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";

export const PROXY_CONTAINER = "istio-proxy";

/** The sidecar container: a regular container, or a native sidecar (init container, restartPolicy Always). */
export function proxyContainer(pod: Pod): Container | undefined {
  return (
    pod.spec?.containers?.find((c) => c.name === PROXY_CONTAINER) ??
    pod.spec?.initContainers?.find((c) => c.name === PROXY_CONTAINER && c.restartPolicy === "Always")
  );
}

export function hasProxy(pod: Pod): boolean {
  return !isHostNetwork(pod) && proxyContainer(pod) !== undefined;
}

export function isHostNetwork(pod: Pod): boolean {
  return pod.spec?.hostNetwork === true;
}

/**
 * Ambient capture: the namespace or the pod labelled `istio.io/dataplane-mode=ambient` (the pod's own
 * `none` opts out), or the pod annotated `ambient.istio.io/redirection: enabled`.
 */
export function isAmbientPod(pod: Pod, namespace: Namespace | undefined): boolean {
  if (isHostNetwork(pod)) return false;
  if (pod.metadata?.annotations?.["ambient.istio.io/redirection"] === "enabled") return true;
  const own = pod.metadata?.labels?.["istio.io/dataplane-mode"];
  if (own === "none") return false;
  if (own === "ambient") return true;
  return namespace?.metadata?.labels?.["istio.io/dataplane-mode"] === "ambient";
}

export type DataPlane = "sidecar" | "ambient" | "none";

/** How a pod takes part in the mesh. Host-network pods never do. */
export function dataPlane(view: SnapshotView, pod: Pod): DataPlane {
  if (hasProxy(pod)) return "sidecar";
  const ns = view.namespace(pod.metadata?.namespace ?? "");
  return isAmbientPod(pod, ns) ? "ambient" : "none";
}

export function podRef(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}
