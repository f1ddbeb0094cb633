import type { Pod } from "../cluster/kube-types.js";

/** A Service targetPort as a container port number of a pod: numbers as they are, names through the pod's containers. */
export function containerPortFor(pod: Pod, targetPort: number | string): number | undefined {
  if (typeof targetPort === "number") return targetPort;
  if (/^\d+$/.test(targetPort)) return Number(targetPort);
  for (const container of pod.spec?.containers ?? []) {
    const found = container.ports?.find((p) => p.name === targetPort);
    if (found?.containerPort !== undefined) return found.containerPort;
  }
  return undefined;
}

/** Every container port a pod declares (the application's, not the proxy's). */
export function declaredContainerPorts(pod: Pod): Set<number> {
  const ports = new Set<number>();
  for (const container of pod.spec?.containers ?? []) {
    if (container.name === "istio-proxy") continue;
    for (const p of container.ports ?? []) if (p.containerPort !== undefined) ports.add(p.containerPort);
  }
  return ports;
}
