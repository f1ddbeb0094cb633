import type { Pod } from "../cluster/kube-types.js";
import { clientFromSource, meshClientIn, type ClientSide } from "../mesh/connection.js";
import { podRef } from "../mesh/proxy.js";
import type { CheckContext, Target } from "./types.js";

/** The pods a pod-level check looks at: target and source pods in `check`, every pod in scope in `scan`. */
export function subjectPods(ctx: CheckContext): Pod[] {
  if (ctx.mode === "scan") return ctx.namespaces.flatMap((ns) => [...ctx.view.pods(ns)]);
  const seen = new Map<string, Pod>();
  for (const target of ctx.targets) for (const pod of target.pods) seen.set(podRef(pod), pod);
  for (const pod of ctx.source?.pods ?? []) seen.set(podRef(pod), pod);
  return [...seen.values()];
}

/** The client of a target: the `--from` source, else an in-mesh client in the target's namespace. */
export function clientOf(ctx: CheckContext, target: Target): ClientSide {
  return ctx.source ? clientFromSource(ctx.view, ctx.source) : meshClientIn(target.namespace);
}

export function joinPorts(ports: readonly (number | string)[]): string {
  return ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.join(", ")}`;
}
