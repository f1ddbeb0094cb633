import { readdir } from "node:fs/promises";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { collectLive, DEFAULT_ROOT_NAMESPACE, planForScan, type CollectOptions, type LiveSnapshot } from "./collect-live.js";
import type { IstioctlRunner } from "./istioctl.js";
import { INPUTS } from "./snapshot.js";
import { SnapshotWriteError, writeSnapshotDir } from "./write-snapshot-dir.js";

export interface CaptureSnapshotOptions {
  kc: KubeConfig;
  /** The namespaces to capture (the mesh root namespace is always added); empty: every namespace. */
  namespaces: readonly string[];
  outDir: string;
  /**
   * Progress lines: a function receives them; true writes them to stderr; the default writes them
   * to stderr only when stderr is a terminal (never into a pipe or a log).
   */
  progress?: boolean | ((line: string) => void);
  /** null: no istioctl; undefined: the one on PATH (or ISTIOCTL), if any. */
  istioctl?: IstioctlRunner | null;
  rootNamespace?: string;
  /** Timeouts, page size, proxy caps. */
  collect?: Omit<CollectOptions, "istioctl" | "onProgress">;
  now?: () => Date;
}

export interface CaptureResult {
  outDir: string;
  /** Written files, relative to outDir. */
  files: string[];
  snapshot: LiveSnapshot;
}

/**
 * `mtls-doctor snapshot`: collects everything the checks can read for these namespaces (every input)
 * from a live cluster and writes it as a snapshot directory, which then loads back and gives the same
 * report as the live cluster did. Secrets and private keys are never written. Cluster-side failures
 * (forbidden, timeouts, no istioctl) do not stop it: they are recorded in snapshot-info.yaml.
 */
export async function captureSnapshot(options: CaptureSnapshotOptions): Promise<CaptureResult> {
  const outDir = path.resolve(options.outDir);
  await refuseNonEmpty(outDir);
  const report = progressWriter(options.progress);
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const plan = planForScan(options.namespaces, new Set(INPUTS), rootNamespace);
  const scope = options.namespaces.length === 0 ? "every namespace" : [...new Set([...options.namespaces, rootNamespace])].join(", ");
  report(`capturing ${scope} from ${options.kc.getCurrentCluster()?.server ?? "the cluster"}`);
  const collectOptions: CollectOptions = { ...options.collect, onProgress: report };
  if (options.istioctl !== undefined) collectOptions.istioctl = options.istioctl;
  const snapshot = await collectLive(options.kc, plan, collectOptions);
  for (const [input, reason] of Object.entries(snapshot.unavailable)) report(`not captured: ${input}: ${reason}`);

  const cluster: { context?: string; server?: string } = { context: options.kc.getCurrentContext() };
  const server = options.kc.getCurrentCluster()?.server;
  if (server) cluster.server = server;
  const { files } = await writeSnapshotDir(snapshot, outDir, {
    info: {
      capturedAt: (options.now?.() ?? new Date()).toISOString(),
      cluster,
      namespaces: [...options.namespaces],
      inputs: [...INPUTS],
    },
  });
  report(`wrote ${files.length} files to ${outDir}`);
  return { outDir, files, snapshot };
}

async function refuseNonEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    if (err.code === "ENOTDIR") throw new SnapshotWriteError(`${dir} is a file: choose a directory for the snapshot`);
    throw new SnapshotWriteError(`${dir} cannot be read: ${err.message}`);
  });
  if (entries.length > 0) {
    throw new SnapshotWriteError(`${dir} is not empty: choose a new directory, so that no stale file is read with the snapshot`);
  }
}

function progressWriter(progress: CaptureSnapshotOptions["progress"]): (line: string) => void {
  if (typeof progress === "function") return progress;
  const enabled = progress ?? process.stderr.isTTY === true;
  return enabled ? (line) => void process.stderr.write(`mtls-doctor snapshot: ${line}\n`) : () => undefined;
}
