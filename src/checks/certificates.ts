import type { Pod } from "../cluster/kube-types.js";
import { restartWorkloadFix } from "../fixes/restart-workload.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { hasProxy, podRef } from "../mesh/proxy.js";
import {
  certificateRow,
  describeName,
  istioctlSerial,
  proxyTrust,
  rootFingerprints,
  verifyChain,
  WORKLOAD_SECRET,
  type CertificateRow,
  type ProxyTrust,
} from "../proxy/certificates.js";
import type { Fix } from "./finding.js";
import { newFinding } from "./finding.js";
import { subjectPods } from "./subjects.js";
import type { Check, CheckContext } from "./types.js";

interface InspectedProxy {
  pod: Pod;
  ref: string;
  trust: ProxyTrust;
  leaf?: CertificateRow;
  /** The workload chain verifies against the proxy's own ROOTCA. */
  selfVerified: boolean;
}

/** `2h 5m`, `42m`, `30s`: how long a certificate has left, for people. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return `${m}m`;
  return `${seconds}s`;
}

function serviceAccountOf(pod: Pod): string {
  return pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? "default";
}

function certificateEvidence(leaf: CertificateRow, now: Date): string[] {
  return [
    `certificate ${WORKLOAD_SECRET}: serial ${leaf.serial}, valid ${leaf.notBefore} to ${leaf.notAfter}`,
    `URI SANs: ${leaf.uriSans.length > 0 ? leaf.uriSans.join(", ") : "none"}`,
    `checked at ${now.toISOString()}`,
  ];
}

function restartFixes(ctx: CheckContext, pod: Pod): Fix[] {
  const fix = restartWorkloadFix(ctx.view, pod, ctx.now);
  return fix ? [fix] : [];
}

function inspect(ctx: CheckContext, pod: Pod): InspectedProxy | undefined {
  const dump = ctx.view.configDump(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "");
  if (dump === undefined) return undefined;
  const trust = proxyTrust(dump);
  const first = trust.chain[0];
  const inspected: InspectedProxy = { pod, ref: podRef(pod), trust, selfVerified: false };
  if (first) inspected.leaf = certificateRow(WORKLOAD_SECRET, first, null, ctx.now);
  return inspected;
}

function checkValidity(ctx: CheckContext, proxy: InspectedProxy): void {
  const leaf = proxy.leaf;
  if (!leaf) return;
  const remaining = Date.parse(leaf.notAfter) - ctx.now.getTime();
  if (remaining > ctx.options.certificateWarningMs) return;
  const base = { resource: `Pod ${proxy.ref}`, evidence: certificateEvidence(leaf, ctx.now), fixes: restartFixes(ctx, proxy.pod) };
  if (remaining <= 0) {
    ctx.report(newFinding("MTLS401", { ...base, params: { pod: proxy.ref, notAfter: leaf.notAfter, serial: leaf.serial } }));
  } else {
    ctx.report(
      newFinding("MTLS402", {
        ...base,
        params: { pod: proxy.ref, notAfter: leaf.notAfter, remaining: humanDuration(remaining), serial: leaf.serial },
      }),
    );
  }
}

function checkIdentity(ctx: CheckContext, proxy: InspectedProxy): void {
  const leaf = proxy.leaf;
  if (!leaf) return;
  const namespace = proxy.pod.metadata?.namespace ?? "";
  const mesh = meshConfigFor(ctx.view, namespace);
  const path = `/ns/${namespace}/sa/${serviceAccountOf(proxy.pod)}`;
  const accepted = [mesh.trustDomain, ...mesh.trustDomainAliases].map((td) => `spiffe://${td}${path}`);
  if (leaf.uriSans.some((uri) => accepted.includes(uri))) return;
  const expected = accepted.length === 1 ? accepted[0] ?? "" : `${accepted[0]} (or ${accepted.slice(1).join(", ")})`;
  ctx.report(
    newFinding("MTLS403", {
      resource: `Pod ${proxy.ref}`,
      params: { pod: proxy.ref, actual: leaf.uriSans.length > 0 ? leaf.uriSans.join(", ") : "no SPIFFE identity (no URI SAN)", expected },
      evidence: [
        ...certificateEvidence(leaf, ctx.now),
        `pod service account: ${serviceAccountOf(proxy.pod)}; mesh trust domain: ${mesh.trustDomain}${mesh.trustDomainAliases.length > 0 ? ` (aliases ${mesh.trustDomainAliases.join(", ")})` : ""}`,
      ],
      fixes: restartFixes(ctx, proxy.pod),
    }),
  );
}

function describeRoots(trust: ProxyTrust): string {
  if (trust.roots.length === 0) return "none";
  return trust.roots.map((r) => `${describeName(r.subject)} (serial ${istioctlSerial(r.serialNumber)})`).join(", ");
}

function checkOwnChain(ctx: CheckContext, proxy: InspectedProxy): void {
  if (!proxy.leaf || proxy.trust.roots.length === 0) return;
  const verdict = verifyChain(proxy.trust.chain, proxy.trust.roots);
  if (verdict.ok) {
    proxy.selfVerified = true;
    return;
  }
  ctx.report(
    newFinding("MTLS404", {
      resource: `Pod ${proxy.ref}`,
      params: { subject: `Pod ${proxy.ref}`, problem: `its workload certificate does not verify against its own ROOTCA: ${verdict.reason}` },
      evidence: [`ROOTCA: ${describeRoots(proxy.trust)}`, ...certificateEvidence(proxy.leaf, ctx.now)],
    }),
  );
}

/** Why a source proxy and a target proxy cannot verify each other, or undefined when they can. */
function crossProblem(source: InspectedProxy, target: InspectedProxy): string | undefined {
  const problems: string[] = [];
  let compared = false;
  if (source.selfVerified && target.trust.roots.length > 0) {
    compared = true;
    const v = verifyChain(source.trust.chain, target.trust.roots);
    if (!v.ok) problems.push(`the target does not accept the source's certificate (${v.reason})`);
  }
  if (target.selfVerified && source.trust.roots.length > 0) {
    compared = true;
    const v = verifyChain(target.trust.chain, source.trust.roots);
    if (!v.ok) problems.push(`the source does not accept the target's certificate (${v.reason})`);
  }
  // Without a usable chain on either side, disjoint root sets are still proof enough.
  if (!compared && source.trust.roots.length > 0 && target.trust.roots.length > 0) {
    const targetRoots = rootFingerprints(target.trust.roots);
    if (!source.trust.roots.some((r) => targetRoots.has(r.fingerprint256))) problems.push("they share no root certificate");
  }
  return problems.length > 0 ? `they trust different root CAs: ${problems.join("; ")}` : undefined;
}

function checkSourceAgainstTargets(ctx: CheckContext, inspected: Map<string, InspectedProxy>): void {
  if (!ctx.source) return;
  const targets = ctx.targets.flatMap((t) => t.pods.map((p) => inspected.get(podRef(p)))).filter((p): p is InspectedProxy => p !== undefined);
  for (const pod of ctx.source.pods) {
    const source = inspected.get(podRef(pod));
    if (!source) continue;
    for (const target of targets) {
      if (target.ref === source.ref) continue;
      const problem = crossProblem(source, target);
      if (problem === undefined) continue;
      ctx.report(
        newFinding("MTLS404", {
          resource: `Pod ${source.ref}`,
          params: { subject: `Pod ${source.ref} (source) and pod ${target.ref} (target)`, problem },
          evidence: [`source ROOTCA: ${describeRoots(source.trust)}`, `target ROOTCA: ${describeRoots(target.trust)}`],
        }),
      );
      // One finding per source pod: the first target it cannot talk to is enough to act on.
      break;
    }
  }
}

export const certificates: Check = {
  name: "certificates",
  description:
    "Workload certificates in the proxies' config dumps: expired or expiring, wrong SPIFFE identity, chains that do not verify against their own root, and source and target proxies that trust different roots.",
  inputs: ["configDumps", "pods", "namespaces", "meshConfig", "workloads"],
  codes: ["MTLS401", "MTLS402", "MTLS403", "MTLS404"],
  run(ctx) {
    const inspected = new Map<string, InspectedProxy>();
    let withProxy = 0;
    for (const pod of subjectPods(ctx)) {
      if (!hasProxy(pod)) continue;
      withProxy++;
      const proxy = inspect(ctx, pod);
      if (!proxy) continue;
      inspected.set(proxy.ref, proxy);
      checkValidity(ctx, proxy);
      checkIdentity(ctx, proxy);
      checkOwnChain(ctx, proxy);
    }
    if (withProxy > 0 && inspected.size === 0) {
      ctx.skip("the snapshot holds no config dump of the proxies involved");
      return;
    }
    checkSourceAgainstTargets(ctx, inspected);
  },
};
