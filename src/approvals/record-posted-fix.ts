import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../cluster/kube-types.js";
import type { ClusterSnapshot } from "../cluster/snapshot.js";
import type { PostedFix } from "../worker/diagnose-processor.js";
import type { AuditLog } from "./audit-log.js";
import { fixId, type PendingFix, type PendingFixStore } from "./pending-fix-store.js";

/** An object the snapshot holds but without a resourceVersion (hand-made snapshots): only its existence is checked. */
export const UNKNOWN_VERSION = "unknown";

function listFor(snapshot: ClusterSnapshot, kind: string): readonly KubeObject[] {
  switch (kind) {
    case "Namespace":
      return snapshot.namespaces;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
      return snapshot.workloads.filter((w) => w.kind === kind);
    case "PeerAuthentication":
      return snapshot.peerAuthentications;
    case "DestinationRule":
      return snapshot.destinationRules;
    case "AuthorizationPolicy":
      return snapshot.authorizationPolicies;
    default:
      return [];
  }
}

/** The resourceVersion of the object a fix touches, as the diagnosis saw it, or "absent". */
export function observedVersion(snapshot: ClusterSnapshot, obj: KubeObject): string {
  const found = listFor(snapshot, obj.kind ?? "").find(
    (o) => o.metadata?.name === obj.metadata?.name && (o.metadata?.namespace ?? "") === (obj.metadata?.namespace ?? ""),
  );
  if (!found) return "absent";
  return found.metadata?.resourceVersion ?? UNKNOWN_VERSION;
}

function parseObjects(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS({ maxAliasCount: 10 }) as unknown)
    .filter((o): o is KubeObject => typeof o === "object" && o !== null);
}

/** When a fix reply is posted: keep what may be applied from it (the objects, never the message text). */
export function recordPostedFix(store: PendingFixStore, audit: AuditLog): (posted: PostedFix) => Promise<void> {
  return async (posted) => {
    const objects = parseObjects(posted.fix.yaml);
    const fix: PendingFix = {
      id: fixId(posted.channel, posted.ts),
      cluster: posted.job.cluster,
      channel: posted.channel,
      ts: posted.ts,
      threadTs: posted.job.thread.parentTs,
      requester: posted.job.thread.userId,
      finding: { code: posted.finding.code, resource: posted.finding.resource, message: posted.finding.message },
      title: posted.fix.title,
      risk: posted.fix.risk,
      objects,
      preconditions: objects.map((o) => ({
        target: `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`,
        resourceVersion: observedVersion(posted.snapshot, o),
      })),
      request: posted.job.target,
      createdAt: new Date().toISOString(),
      expiresAt: posted.expiresAt.toISOString(),
    };
    await store.save(fix);
    await audit.append({
      event: "suggested",
      actor: "mtls-doctor",
      cluster: fix.cluster,
      fixId: fix.id,
      objects: fix.preconditions.map((p) => p.target),
      detail: { finding: fix.finding, title: fix.title, risk: fix.risk, requester: fix.requester, expiresAt: fix.expiresAt },
      after: objects,
    });
  };
}
