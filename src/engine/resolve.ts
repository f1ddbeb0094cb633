import type { Service } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import type { Source, SourceKind, Target, TargetPort } from "../checks/types.js";
import { matchesLabels } from "../mesh/labels.js";
import { containerPortFor } from "../mesh/ports.js";
import { ownerWorkload, podsOfWorkload, SOURCE_WORKLOAD_KINDS } from "../mesh/workloads.js";

/** The active pods a Service selects. A Service without a selector selects none. */
export function podsOfService(view: SnapshotView, service: Service) {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  return view.pods(service.metadata?.namespace ?? "").filter((p) => matchesLabels(selector, p.metadata?.labels));
}

export function targetFromService(view: SnapshotView, service: Service): Target {
  const namespace = service.metadata?.namespace ?? "";
  const name = service.metadata?.name ?? "";
  const pods = podsOfService(view, service);
  const ports: TargetPort[] = (service.spec?.ports ?? []).map((p) => {
    const port = p.port ?? 0;
    const raw = p.targetPort ?? port;
    let targetPort: number | string = raw;
    for (const pod of pods) {
      const resolved = containerPortFor(pod, raw);
      if (resolved !== undefined) {
        targetPort = resolved;
        break;
      }
    }
    if (typeof targetPort === "string" && /^\d+$/.test(targetPort)) targetPort = Number(targetPort);
    const out: TargetPort = { port, targetPort };
    if (p.name !== undefined) out.name = p.name;
    if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
    return out;
  });
  return { service, name, namespace, resource: `Service ${namespace}/${name}`, pods, ports };
}

export function resolveTarget(view: SnapshotView, ref: { service: string; namespace: string }): Target | undefined {
  const service = view.service(ref.namespace, ref.service);
  return service ? targetFromService(view, service) : undefined;
}

/** `--from NAME`: a Service of that name, else a Deployment, StatefulSet or DaemonSet. */
export function resolveSource(view: SnapshotView, ref: { name: string; namespace: string }): Source | undefined {
  const service = view.service(ref.namespace, ref.name);
  if (service) {
    const pods = podsOfService(view, service);
    const source: Source = {
      kind: "Service",
      name: ref.name,
      namespace: ref.namespace,
      resource: `Service ${ref.namespace}/${ref.name}`,
      pods,
    };
    const first = pods[0];
    const workload = first ? ownerWorkload(view, first) : undefined;
    if (workload) source.workload = workload;
    return source;
  }
  for (const kind of SOURCE_WORKLOAD_KINDS) {
    const workload = view.workloads(ref.namespace).find((w) => w.kind === kind && w.metadata?.name === ref.name);
    if (workload) {
      return {
        kind: kind as SourceKind,
        name: ref.name,
        namespace: ref.namespace,
        resource: `${kind} ${ref.namespace}/${ref.name}`,
        workload,
        pods: podsOfWorkload(view, workload),
      };
    }
  }
  return undefined;
}
