import type { KubeEvent } from "../cluster/kube-types.js";
import { meshConfigFor } from "../mesh/mesh-config.js";
import { newFinding } from "./finding.js";
import type { Check } from "./types.js";

// istiod (its CA), istio-csr / cert-manager and kubelet (cacerts mounts) report certificate trouble in
// events of the control plane namespace. An event counts when it is about certificates or the CA and
// says something failed (or is a Warning).
const ABOUT_CERTIFICATES = /certificate|\bcerts?\b|\bCSR\b|\bCA\b|x509|cacerts|root[- ]?cert|ca[- ]root|signing|signer|trust[- ]?bundle|spiffe/i;
const FAILED = /fail|error|invalid|expired|unable|denied|reject|cannot|can't|could not|not found|mismatch|unknown authority/i;

const MAX_SAMPLE_LENGTH = 200;
const MAX_EVIDENCE = 5;

function isCertificateFailure(event: KubeEvent): boolean {
  const text = `${event.reason ?? ""} ${event.message ?? ""}`;
  return ABOUT_CERTIFICATES.test(text) && (event.type === "Warning" || FAILED.test(text));
}

function describeEvent(event: KubeEvent): string {
  const object = event.involvedObject ? `${event.involvedObject.kind ?? "?"} ${event.involvedObject.name ?? "?"}: ` : "";
  const text = `${object}${event.reason ?? "?"}: ${(event.message ?? "").trim()}`.replace(/\s+/g, " ");
  const times = (event.count ?? 1) > 1 ? ` (x${event.count})` : "";
  const when = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp;
  const full = `${text}${times}${when ? ` at ${when}` : ""}`;
  return full.length > MAX_SAMPLE_LENGTH ? `${full.slice(0, MAX_SAMPLE_LENGTH - 1)}…` : full;
}

function newestFirst(a: KubeEvent, b: KubeEvent): number {
  const time = (e: KubeEvent) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? "") || 0;
  return time(b) - time(a);
}

export const controlPlaneEvents: Check = {
  name: "control-plane-events",
  description: "Certificate signing and CA failures reported by events in the control plane namespace.",
  inputs: ["events", "meshConfig", "namespaces"],
  codes: ["MTLS406"],
  run(ctx) {
    // The root namespace, and the namespace the mesh config lives in (they differ in some installs),
    // for the default mesh and for the revisions the namespaces in scope use.
    const controlPlane = new Set<string>();
    for (const mesh of [meshConfigFor(ctx.view), ...ctx.namespaces.map((ns) => meshConfigFor(ctx.view, ns))]) {
      controlPlane.add(mesh.rootNamespace);
      const home = mesh.source?.split("/")[0];
      if (home) controlPlane.add(home);
    }
    for (const namespace of [...controlPlane].sort()) {
      const failures = ctx.view.events(namespace).filter(isCertificateFailure).sort(newestFirst);
      const [newest] = failures;
      if (!newest) continue;
      const count = failures.reduce((sum, e) => sum + (e.count ?? 1), 0);
      ctx.report(
        newFinding("MTLS406", {
          resource: `Namespace ${namespace}`,
          params: { namespace, count, sample: describeEvent(newest) },
          evidence: failures.slice(0, MAX_EVIDENCE).map(describeEvent),
        }),
      );
    }
  },
};
