import type { DestinationRule, Labels, Pod, TlsMode } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import type { Source, Target, TargetPort } from "../checks/types.js";
import { destinationRuleFor, ruleTlsForPort, type RuleTls } from "./destination-rule.js";
import { injectionOptOut, namespaceInjection } from "./injection.js";
import { meshConfigFor } from "./mesh-config.js";
import { dataPlane, type DataPlane } from "./proxy.js";
import { effectiveServerMode, type ServerMode } from "./server-mode.js";
import { containerPortFor } from "./ports.js";

export type ClientSends = TlsMode | "PLAINTEXT";
export type Outcome = "ok" | "refused" | "plaintext";

/** The client side of a connection: a real source pod, a predicted one, or a hypothetical in-mesh client. */
export interface ClientSide {
  /** Stable key for memoisation: the source resource, or `mesh-client:<ns>`. */
  key: string;
  namespace: string;
  labels?: Labels;
  dataPlane: DataPlane;
  pod?: Pod;
}

export interface PortConnection {
  port: TargetPort;
  server: ServerMode;
  /** The target pod the server mode was read from (undefined when the Service has no pods). */
  serverPod?: Pod;
  /** How the target takes part in the mesh: the representative pod's data plane. */
  targetDataPlane: DataPlane;
  rule?: DestinationRule;
  ruleTls?: RuleTls;
  clientSends: ClientSends;
  /** `ns/name` of the rule whose tls decided, `auto`, `ambient`, or null for a client without a proxy. */
  clientPolicy: string | null;
  outcome: Outcome;
}

/** Without `--from`, "the client" is an in-mesh client with a proxy in the target's namespace. */
export function meshClientIn(namespace: string): ClientSide {
  return { key: `mesh-client:${namespace}`, namespace, dataPlane: "sidecar" };
}

/**
 * The client a source stands for. Among its pods, one without a proxy is preferred (that is the one
 * that fails); with no running pod, the data plane is predicted from injection labels and the template.
 */
export function clientFromSource(view: SnapshotView, source: Source): ClientSide {
  const planes = source.pods.map((pod) => ({ pod, plane: dataPlane(view, pod) }));
  const chosen = planes.find((p) => p.plane === "none") ?? planes[0];
  if (chosen) {
    const client: ClientSide = { key: source.resource, namespace: source.namespace, dataPlane: chosen.plane, pod: chosen.pod };
    if (chosen.pod.metadata?.labels) client.labels = chosen.pod.metadata.labels;
    return client;
  }
  const template = source.workload?.spec?.template;
  const injection = namespaceInjection(view.namespace(source.namespace));
  const predicted: DataPlane =
    template && injectionOptOut(template) ? "none" : injection.injected ? "sidecar" : injection.ambient ? "ambient" : "none";
  const client: ClientSide = { key: source.resource, namespace: source.namespace, dataPlane: predicted };
  if (template?.metadata?.labels) client.labels = template.metadata.labels;
  return client;
}

/** A stand-in for the pods of a Service that has none: they would carry at least the selector's labels. */
function pseudoPod(target: Target): Pod {
  return { metadata: { namespace: target.namespace, labels: target.service.spec?.selector ?? {} } };
}

function serverSide(view: SnapshotView, target: Target, port: TargetPort): { server: ServerMode; pod?: Pod; plane: DataPlane } {
  const planes = target.pods.map((pod) => ({ pod, plane: dataPlane(view, pod) }));
  const inMesh = planes.filter((p) => p.plane !== "none");
  const candidates = inMesh.length > 0 ? inMesh : planes;
  let chosen: { server: ServerMode; pod?: Pod; plane: DataPlane } | undefined;
  for (const { pod, plane } of candidates) {
    const containerPort = containerPortFor(pod, port.targetPort);
    const server = effectiveServerMode(view, pod, containerPort);
    if (!chosen) chosen = { server, pod, plane };
    if (server.mode === "STRICT") return { server, pod, plane };
  }
  if (chosen) return chosen;
  const pod = pseudoPod(target);
  const containerPort = typeof port.targetPort === "number" ? port.targetPort : undefined;
  return { server: effectiveServerMode(view, pod, containerPort), plane: "sidecar" };
}

/**
 * HTTP by Istio's protocol selection: Service port name `http`, `http-*`, `http2*`, `grpc*`, or
 * appProtocol `http`, `http2`, `grpc`, `h2c`.
 */
export function isHttpPort(port: TargetPort): boolean {
  const appProtocol = port.appProtocol?.toLowerCase();
  if (appProtocol !== undefined) return ["http", "http2", "grpc", "h2c"].includes(appProtocol);
  const name = port.name?.toLowerCase() ?? "";
  return name === "http" || name.startsWith("http-") || name.startsWith("http2") || name.startsWith("grpc");
}

/**
 * Non-Istio TLS (SIMPLE/MUTUAL) into a sidecar's PERMISSIVE HTTP port: the inbound listener matches TLS
 * only with Istio's ALPN there, so the connection finds no filter chain and is refused.
 */
export function nonIstioTlsIntoPermissiveHttp(sends: ClientSends, server: ServerMode, target: DataPlane, port: TargetPort): boolean {
  return (sends === "SIMPLE" || sends === "MUTUAL") && target === "sidecar" && server.mode === "PERMISSIVE" && isHttpPort(port);
}

function outcomeOf(sends: ClientSends, server: ServerMode, target: DataPlane, port: TargetPort): Outcome {
  if (target === "none") return sends === "ISTIO_MUTUAL" ? "refused" : "plaintext";
  const mode = target === "ambient" && server.mode === "DISABLE" ? "PERMISSIVE" : server.mode;
  if (sends === "ISTIO_MUTUAL") return mode === "DISABLE" ? "refused" : "ok";
  if (mode === "STRICT") return "refused";
  if (nonIstioTlsIntoPermissiveHttp(sends, server, target, port)) return "refused";
  return "plaintext";
}

/**
 * A headless Service with a selected pod that has no proxy (and is not ambient) gets no auto mTLS at
 * all: Istio infers DISABLE for the whole service, the pods with a sidecar included.
 */
export function headlessWithoutAutoMtls(view: SnapshotView, target: Target): boolean {
  return target.service.spec?.clusterIP === "None" && target.pods.some((pod) => dataPlane(view, pod) === "none");
}

/**
 * The mTLS matrix: for each target Service port, the server mode and the policy that set it, what the
 * client sends and why, and whether the connection is mutual TLS, plaintext, or refused.
 */
export function connectionFor(view: SnapshotView, target: Target, client: ClientSide): PortConnection[] {
  return view.derived(`conn:${target.resource}:${client.key}`, () =>
    target.ports.map((port) => {
      const { server, pod: serverPod, plane } = serverSide(view, target, port);
      const connection: Omit<PortConnection, "outcome"> = {
        port,
        server,
        targetDataPlane: plane,
        clientSends: "PLAINTEXT",
        clientPolicy: null,
      };
      if (serverPod) connection.serverPod = serverPod;
      if (client.dataPlane === "ambient") {
        connection.clientSends = "ISTIO_MUTUAL";
        connection.clientPolicy = "ambient";
      } else if (client.dataPlane === "sidecar") {
        const clientRef: { namespace: string; labels?: Labels } = { namespace: client.namespace };
        if (client.labels) clientRef.labels = client.labels;
        const rule = destinationRuleFor(view, clientRef, { name: target.name, namespace: target.namespace });
        const ruleTls = rule ? ruleTlsForPort(rule, port.port) : undefined;
        if (rule) connection.rule = rule;
        if (rule && ruleTls) {
          connection.ruleTls = ruleTls;
          connection.clientSends = ruleTls.mode;
          connection.clientPolicy = `${rule.metadata?.namespace ?? ""}/${rule.metadata?.name ?? ""}`;
        } else {
          // FINDINGS.md: the mesh config is the one of the revision the target's namespace uses.
          const autoMtls = meshConfigFor(view, target.namespace).enableAutoMtls && !headlessWithoutAutoMtls(view, target);
          connection.clientSends = autoMtls && plane !== "none" && server.mode !== "DISABLE" ? "ISTIO_MUTUAL" : "PLAINTEXT";
          connection.clientPolicy = "auto";
        }
      }
      return { ...connection, outcome: outcomeOf(connection.clientSends, server, plane, port) };
    }),
  );
}
