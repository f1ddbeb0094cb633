import type { Pod } from "../cluster/kube-types.js";
import { serviceFqdn } from "../mesh/destination-rule.js";
import { containerPortFor } from "../mesh/ports.js";
import { dataPlane, hasProxy, podRef } from "../mesh/proxy.js";
import { effectiveServerMode, type ServerMode } from "../mesh/server-mode.js";
import { parseConfigDump } from "../proxy/config-dump.js";
import { inboundListenerTls, type InboundChain } from "../proxy/inbound-listener-tls.js";
import { outboundClusterTls } from "../proxy/outbound-cluster-tls.js";
import { newFinding } from "./finding.js";
import type { Check, CheckContext, Target, TargetPort } from "./types.js";

function dumpOf(ctx: CheckContext, pod: Pod): unknown {
  return ctx.view.configDump(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "");
}

function policyText(mode: ServerMode): string {
  return mode.policyRef === "default" ? "no PeerAuthentication (default)" : `PeerAuthentication ${mode.policyRef}`;
}

/** The STRICT mode of a target port, from the first target pod in the mesh that is STRICT on it. */
function strictModeOf(ctx: CheckContext, target: Target, port: TargetPort): ServerMode | undefined {
  for (const pod of target.pods) {
    if (dataPlane(ctx.view, pod) === "none") continue;
    const containerPort = containerPortFor(pod, port.targetPort);
    if (containerPort === undefined) continue;
    const mode = effectiveServerMode(ctx.view, pod, containerPort);
    if (mode.mode === "STRICT") return mode;
  }
  return undefined;
}

/** MTLS601: the source proxy has an outbound cluster to a STRICT target port without TLS. */
function checkClientClusters(ctx: CheckContext, dumps: Set<string>): void {
  const source = ctx.source;
  if (!source) return;
  for (const pod of source.pods) {
    if (!hasProxy(pod)) continue;
    const dump = dumpOf(ctx, pod);
    if (dump === undefined) continue;
    dumps.add(podRef(pod));
    if (!parseConfigDump(dump).sections.has("clusters")) continue;
    const ref = podRef(pod);
    for (const target of ctx.targets) {
      const host = serviceFqdn(target.name, target.namespace);
      for (const port of target.ports) {
        const plaintext = outboundClusterTls(dump, host, port.port).filter((c) => c.tls === "none");
        if (plaintext.length === 0) continue;
        const mode = strictModeOf(ctx, target, port);
        if (!mode) continue;
        ctx.report(
          newFinding("MTLS601", {
            resource: `Pod ${ref}`,
            params: { pod: ref, target: target.resource, port: port.port, cluster: plaintext.map((c) => c.name).join(", ") },
            ports: [port.port],
            evidence: [
              ...plaintext.map((c) => `cluster ${c.name}: no TLS transport socket${c.subset ? ` (subset ${c.subset})` : ""}`),
              `${target.resource} port ${port.port} (container port ${port.targetPort}) is STRICT, set by ${policyText(mode)}`,
            ],
          }),
        );
      }
    }
  }
}

function describeChain(chain: InboundChain): string {
  const what: Record<InboundChain["security"], string> = {
    mtls: "mutual TLS, client certificate required",
    tls: "TLS without requiring a client certificate",
    "tls-passthrough": "TLS passed through to the application",
    plaintext: "plaintext",
    other: "an unrecognised transport socket",
  };
  return `listener ${chain.listener}${chain.name ? ` chain ${chain.name}` : ""} (${chain.matchedBy}): ${what[chain.security]}`;
}

/** MTLS602: a target proxy's inbound chains for a STRICT container port do not insist on client certificates. */
function checkServerListeners(ctx: CheckContext, dumps: Set<string>): void {
  const seen = new Set<string>();
  for (const target of ctx.targets) {
    for (const pod of target.pods) {
      if (!hasProxy(pod)) continue;
      const dump = dumpOf(ctx, pod);
      if (dump === undefined) continue;
      dumps.add(podRef(pod));
      if (!parseConfigDump(dump).sections.has("listeners")) continue;
      const ref = podRef(pod);
      for (const port of target.ports) {
        const containerPort = containerPortFor(pod, port.targetPort);
        if (containerPort === undefined || seen.has(`${ref}|${containerPort}`)) continue;
        seen.add(`${ref}|${containerPort}`);
        const mode = effectiveServerMode(ctx.view, pod, containerPort);
        if (mode.mode !== "STRICT") continue;
        const inbound = inboundListenerTls(dump, containerPort);
        // No chain at all: the dump does not show this port, which says nothing about the policy.
        if (inbound.chains.length === 0) continue;
        if (inbound.requiresClientCertificate && !inbound.acceptsPlaintext) continue;
        ctx.report(
          newFinding("MTLS602", {
            resource: `Pod ${ref}`,
            params: { pod: ref, port: containerPort },
            ports: [port.port],
            evidence: [
              `container port ${containerPort} is STRICT, set by ${policyText(mode)}`,
              ...(inbound.acceptsPlaintext ? ["the proxy still accepts plaintext on it (PERMISSIVE listener)"] : []),
              ...inbound.chains.map(describeChain),
            ],
          }),
        );
      }
    }
  }
}

export const envoyConfig: Check = {
  name: "envoy-config",
  description:
    "What the proxies were actually configured with: a source's outbound cluster without TLS to a STRICT port, and a target's inbound listener that does not require client certificates on a STRICT port.",
  inputs: ["configDumps", "namespaces", "peerAuthentications", "meshConfig"],
  codes: ["MTLS601", "MTLS602"],
  run(ctx) {
    const dumps = new Set<string>();
    checkClientClusters(ctx, dumps);
    checkServerListeners(ctx, dumps);
    if (dumps.size === 0) ctx.skip("the snapshot holds no config dump of the proxies involved");
  },
};
