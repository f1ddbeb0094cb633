import { CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { KubeObject } from "../cluster/kube-types.js";

export const FIELD_MANAGER = "mtls-doctor";
export const ANNOTATION_APPLIED_BY = "mtls-doctor.io/applied-by";
export const ANNOTATION_THREAD = "mtls-doctor.io/thread";
export const ANNOTATION_APPLIED_AT = "mtls-doctor.io/applied-at";

const ABSENT = "absent";
const UNKNOWN = "unknown";

export interface ApplyRequest {
  objects: KubeObject[];
  /** resourceVersion of each object when the fix was suggested, or "absent". */
  preconditions: { target: string; resourceVersion: string }[];
  approver: string;
  threadLink: string;
  now: Date;
}

export type ApplyOutcome =
  | { kind: "applied"; prior: (KubeObject | null)[]; after: KubeObject[] }
  | { kind: "refused"; reason: string }
  | { kind: "failed"; reason: string; applied: string[]; rolledBack: string[]; notRolledBack: string[] };

export type RollbackOutcome = { kind: "rolled-back"; restored: string[] } | { kind: "failed"; reason: string; restored: string[]; notRestored: string[] };

function ref(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind ?? "?"} ${ns ? `${ns}/` : ""}${obj.metadata?.name ?? "?"}`;
}

function header(obj: KubeObject): KubernetesObject & { metadata: { name: string; namespace?: string } } {
  const metadata: { name: string; namespace?: string } = { name: obj.metadata?.name ?? "" };
  if (obj.metadata?.namespace) metadata.namespace = obj.metadata.namespace;
  return { apiVersion: obj.apiVersion ?? "v1", kind: obj.kind ?? "", metadata };
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function messageOf(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      // not JSON: fall through to the error's own message
    }
  }
  return (err as Error).message ?? String(err);
}

/**
 * Applies a fix with the care a person would: re-read every object and refuse if one moved since the
 * suggestion; dry-run all of them; then server-side apply for real (fieldManager mtls-doctor), each
 * annotated with who approved it and where; keep the prior state for rollback; emit an Event on each.
 * If the API server fails half-way, what was applied is rolled back, and the outcome says exactly what
 * was and was not.
 */
export class FixApplier {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private async readOrNull(obj: KubeObject): Promise<KubeObject | null> {
    try {
      return (await this.objects.read(header(obj))) as KubeObject;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  private annotate(obj: KubeObject, request: ApplyRequest): KubernetesObject {
    const copy = structuredClone(obj) as KubernetesObject;
    copy.metadata = {
      ...copy.metadata,
      annotations: {
        ...(copy.metadata?.annotations ?? {}),
        [ANNOTATION_APPLIED_BY]: request.approver,
        [ANNOTATION_THREAD]: request.threadLink,
        [ANNOTATION_APPLIED_AT]: request.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
    };
    return copy;
  }

  private apply(obj: KubernetesObject, dryRun: boolean): Promise<KubernetesObject> {
    return this.objects.patch(obj, undefined, dryRun ? "All" : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  async applyFix(request: ApplyRequest): Promise<ApplyOutcome> {
    const prior: (KubeObject | null)[] = [];
    for (const [i, obj] of request.objects.entries()) {
      let current: KubeObject | null;
      try {
        current = await this.readOrNull(obj);
      } catch (err) {
        return { kind: "refused", reason: `could not read ${ref(obj)}: ${messageOf(err)}` };
      }
      const expected = request.preconditions[i]?.resourceVersion ?? ABSENT;
      const actual = current?.metadata?.resourceVersion ?? ABSENT;
      // "unknown": the diagnosis saw the object without a version (a hand-made snapshot): it must still exist.
      const moved = expected === UNKNOWN ? actual === ABSENT : expected !== actual;
      if (moved) {
        const change = expected === ABSENT ? "was created" : actual === ABSENT ? "was deleted" : `changed (resourceVersion ${expected} → ${actual})`;
        return { kind: "refused", reason: `${ref(obj)} ${change} since the fix was suggested; run the check again for a fresh fix` };
      }
      prior.push(current);
    }
    const annotated = request.objects.map((o) => this.annotate(o, request));
    for (const obj of annotated) {
      try {
        await this.apply(obj, true);
      } catch (err) {
        return { kind: "refused", reason: `the API server rejects ${ref(obj as KubeObject)} in a dry run: ${messageOf(err)}; nothing was applied` };
      }
    }
    const after: KubeObject[] = [];
    for (const [i, obj] of annotated.entries()) {
      try {
        after.push((await this.apply(obj, false)) as KubeObject);
      } catch (err) {
        const applied = request.objects.slice(0, i);
        const undo = await this.restore(applied, prior.slice(0, i));
        return {
          kind: "failed",
          reason: `applying ${ref(obj as KubeObject)} failed: ${messageOf(err)}`,
          applied: applied.map(ref),
          rolledBack: undo.restored,
          notRolledBack: undo.kind === "failed" ? undo.notRestored : [],
        };
      }
    }
    for (const obj of after) await this.event(obj, "MtlsDoctorFixApplied", `mtls-doctor applied a fix approved by ${request.approver}: ${request.threadLink}`, request.now);
    return { kind: "applied", prior, after };
  }

  /** Puts the objects back as they were: replaced with their prior content, or deleted where they were absent. */
  async restore(objects: readonly KubeObject[], prior: readonly (KubeObject | null)[], now = new Date(), why?: string): Promise<RollbackOutcome> {
    const restored: string[] = [];
    const notRestored: string[] = [];
    let reason = "";
    for (let i = objects.length - 1; i >= 0; i--) {
      const obj = objects[i];
      if (!obj) continue;
      const before = prior[i] ?? null;
      try {
        if (before === null) {
          await this.objects.delete(header(obj));
        } else {
          const current = await this.readOrNull(obj);
          const replacement = structuredClone(before) as KubernetesObject;
          if (replacement.metadata) {
            delete replacement.metadata.managedFields;
            replacement.metadata.resourceVersion = current?.metadata?.resourceVersion ?? replacement.metadata.resourceVersion;
          }
          if (current === null) {
            if (replacement.metadata) delete replacement.metadata.resourceVersion;
            await this.objects.create(replacement);
          } else {
            await this.objects.replace(replacement);
          }
          if (why) await this.event(before, "MtlsDoctorFixRolledBack", why, now);
        }
        restored.push(ref(obj));
      } catch (err) {
        if (before === null && statusOf(err) === 404) {
          restored.push(ref(obj));
          continue;
        }
        notRestored.push(ref(obj));
        reason ||= `restoring ${ref(obj)} failed: ${messageOf(err)}`;
      }
    }
    return notRestored.length === 0 ? { kind: "rolled-back", restored } : { kind: "failed", reason, restored, notRestored };
  }

  /** A Kubernetes Event on the object, so that `kubectl describe` shows what mtls-doctor did. Best effort. */
  private async event(obj: KubeObject, reason: string, message: string, now: Date): Promise<void> {
    const namespace = obj.metadata?.namespace ?? (obj.kind === "Namespace" ? obj.metadata?.name : undefined) ?? "default";
    const time = now.toISOString();
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${obj.metadata?.name ?? "object"}.mtls-doctor.${now.getTime().toString(16)}`, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion ?? "v1",
            kind: obj.kind ?? "",
            name: obj.metadata?.name ?? "",
            ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
            ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
          },
          reason,
          message: message.slice(0, 1024),
          type: "Normal",
          source: { component: FIELD_MANAGER },
          firstTimestamp: new Date(time),
          lastTimestamp: new Date(time),
          count: 1,
        },
      });
    } catch {
      // An Event is a courtesy: failing to write one must not fail the apply.
    }
  }
}
