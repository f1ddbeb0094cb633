import { loadSnapshotDir } from "../cluster/load-snapshot-dir.js";
import { applySnapshotInfo, readSnapshotInfo } from "../cluster/snapshot-info.js";
import type { ClusterSnapshot } from "../cluster/snapshot.js";
import type { DiagnoseRequest } from "../engine/request.js";
import type { DiagnoseCommand } from "./parse-args.js";

export interface LoadedInput {
  snapshot: ClusterSnapshot;
  request: DiagnoseRequest;
}

/** The request a command stands for, once the default namespace is known. */
export function toRequest(cmd: DiagnoseCommand, defaultNamespace: string, now: Date): DiagnoseRequest {
  if (cmd.command === "scan") return { mode: "scan", namespaces: cmd.namespaces, now };
  const target = cmd.target ?? { service: "" };
  const namespace = target.namespace ?? defaultNamespace;
  const request: DiagnoseRequest = { mode: "check", target: { service: target.service, namespace }, now };
  if (cmd.from) request.from = { name: cmd.from.name, namespace: cmd.from.namespace ?? namespace };
  return request;
}

/** Reads the snapshot directory, or collects from the live cluster, for a check or scan command. */
export async function loadInput(cmd: DiagnoseCommand, now: Date): Promise<LoadedInput> {
  if (cmd.source.snapshot !== undefined) {
    const snapshot = await loadSnapshotDir(cmd.source.snapshot);
    // A directory captured by `mtls-doctor snapshot` says what could not be captured, and why.
    const info = await readSnapshotInfo(cmd.source.snapshot);
    if (info) applySnapshotInfo(snapshot, info);
    return { snapshot, request: toRequest(cmd, "default", now) };
  }
  // Loaded only for live use: the Kubernetes client is not needed to read a snapshot.
  const live = await import("./load-live.js");
  return live.loadLive(cmd, now);
}
