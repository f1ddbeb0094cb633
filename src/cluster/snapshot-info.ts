import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { INPUTS, type AnalyzeMessage, type ClusterSnapshot, type Input } from "./snapshot.js";

/** Written at the top of a snapshot directory; the object loader ignores its kind. */
export const SNAPSHOT_INFO_FILE = "snapshot-info.yaml";
export const SNAPSHOT_INFO_KIND = "MtlsDoctorSnapshotInfo";
export const SNAPSHOT_INFO_API_VERSION = "mtls-doctor.io/v1";

/**
 * What a snapshot directory records beyond Kubernetes objects and proxy files: how it was captured,
 * which inputs could not be collected and why (so that a check over the directory is skipped for the
 * same reason as over the live cluster), notes, and `istioctl analyze` messages (DESIGN.md has no
 * other place for them). Never credentials.
 */
export interface SnapshotInfo {
  apiVersion: typeof SNAPSHOT_INFO_API_VERSION;
  kind: typeof SNAPSHOT_INFO_KIND;
  metadata: { name: string };
  /** RFC 3339. */
  capturedAt?: string;
  /** The kubeconfig context and API server URL it was captured from. */
  cluster?: { context?: string; server?: string };
  /** The namespaces asked for; empty: every namespace. */
  namespaces?: string[];
  /** The inputs the capture collected (those in `unavailable` included). */
  inputs?: Input[];
  unavailable: Partial<Record<Input, string>>;
  notes: string[];
  analyzeMessages?: AnalyzeMessage[];
}

export function snapshotInfo(fields: Omit<SnapshotInfo, "apiVersion" | "kind" | "metadata">): SnapshotInfo {
  return { apiVersion: SNAPSHOT_INFO_API_VERSION, kind: SNAPSHOT_INFO_KIND, metadata: { name: "snapshot-info" }, ...fields };
}

/** Reads `snapshot-info.yaml` of a snapshot directory; undefined when there is none (hand-made snapshots). */
export async function readSnapshotInfo(dir: string): Promise<SnapshotInfo | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, SNAPSHOT_INFO_FILE), "utf8");
  } catch {
    return undefined;
  }
  const doc: unknown = parse(text, { maxAliasCount: 100 });
  if (doc === null || typeof doc !== "object") return undefined;
  const raw = doc as Record<string, unknown>;
  if (raw["kind"] !== SNAPSHOT_INFO_KIND) return undefined;
  const known = new Set<string>(INPUTS);
  const unavailable: Partial<Record<Input, string>> = {};
  const rawUnavailable = raw["unavailable"];
  if (rawUnavailable !== null && typeof rawUnavailable === "object") {
    for (const [input, reason] of Object.entries(rawUnavailable)) {
      if (known.has(input) && typeof reason === "string") unavailable[input as Input] = reason;
    }
  }
  const info = snapshotInfo({
    unavailable,
    notes: Array.isArray(raw["notes"]) ? raw["notes"].filter((n): n is string => typeof n === "string") : [],
  });
  if (typeof raw["capturedAt"] === "string") info.capturedAt = raw["capturedAt"];
  if (Array.isArray(raw["namespaces"])) info.namespaces = raw["namespaces"].filter((n): n is string => typeof n === "string");
  if (Array.isArray(raw["inputs"])) info.inputs = raw["inputs"].filter((i): i is Input => typeof i === "string" && known.has(i));
  const cluster = raw["cluster"];
  if (cluster !== null && typeof cluster === "object") {
    const c = cluster as Record<string, unknown>;
    info.cluster = {};
    if (typeof c["context"] === "string") info.cluster.context = c["context"];
    if (typeof c["server"] === "string") info.cluster.server = c["server"];
  }
  if (Array.isArray(raw["analyzeMessages"])) {
    info.analyzeMessages = raw["analyzeMessages"].flatMap((m): AnalyzeMessage[] => {
      if (m === null || typeof m !== "object") return [];
      const r = m as Record<string, unknown>;
      if (typeof r["code"] !== "string") return [];
      const message: AnalyzeMessage = {
        code: r["code"],
        level: typeof r["level"] === "string" ? r["level"] : "Info",
        message: typeof r["message"] === "string" ? r["message"] : "",
      };
      if (typeof r["resource"] === "string") message.resource = r["resource"];
      return [message];
    });
  }
  return info;
}

/** Puts what the info recorded back into a loaded snapshot: unavailable inputs and analyze messages. */
export function applySnapshotInfo(snapshot: ClusterSnapshot, info: SnapshotInfo): void {
  Object.assign(snapshot.unavailable, info.unavailable);
  if (info.analyzeMessages !== undefined) snapshot.analyzeMessages = info.analyzeMessages;
}
