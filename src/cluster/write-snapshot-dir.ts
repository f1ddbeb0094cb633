import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import type { LiveSnapshot } from "./collect-live.js";
import type { KubeObject } from "./kube-types.js";
import { redactConfigDump, redactObject, redactText } from "./redact.js";
import { snapshotInfo, SNAPSHOT_INFO_FILE, type SnapshotInfo } from "./snapshot-info.js";
import { allObjects, type ClusterSnapshot, type ProxyStatusEntry } from "./snapshot.js";

/** The directory cannot be written as a snapshot. */
export class SnapshotWriteError extends Error {
  override readonly name = "SnapshotWriteError";
  readonly code = "SNAPSHOT_WRITE";
}

export interface WriteSnapshotOptions {
  /**
   * What snapshot-info.yaml records besides `unavailable` and analyze messages, which come from the
   * snapshot (and `notes`, which default to a live snapshot's).
   */
  info?: Partial<Pick<SnapshotInfo, "capturedAt" | "cluster" | "namespaces" | "inputs" | "notes">>;
  /**
   * `istioctl proxy-status` as printed (default: a live snapshot's), written as-is rather than a table
   * rebuilt from the entries.
   */
  proxyStatusText?: string;
}

/** File per kind: `<plural>.yaml`, as `kubectl get <plural> -o yaml` would name it. */
const FILE_BY_KIND: Record<string, string> = {
  Namespace: "namespaces",
  Pod: "pods",
  Service: "services",
  EndpointSlice: "endpointslices",
  Deployment: "deployments",
  StatefulSet: "statefulsets",
  DaemonSet: "daemonsets",
  ReplicaSet: "replicasets",
  ServiceAccount: "serviceaccounts",
  PeerAuthentication: "peerauthentications",
  DestinationRule: "destinationrules",
  AuthorizationPolicy: "authorizationpolicies",
  Sidecar: "sidecars",
  ConfigMap: "configmaps",
  Event: "events",
  ControlPlaneRevision: "controlplanerevisions",
};

/**
 * Larger Lists are written as JSON (`kubectl get -o json`), which the loader reads as objects too:
 * 5,000 pods take about 10 s to write and read back as YAML, under 1 s as JSON.
 */
const YAML_MAX_ITEMS = 1000;

/** Kubernetes object names (DNS subdomains): anything else would not be a safe path segment. */
const SAFE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Writes a snapshot as DESIGN.md's snapshot directory, which loadSnapshotDir reads back: one
 * `<kind-plural>.yaml` List per kind (`.json` beyond 1,000 objects), `proxies/<ns>/<pod>/` with
 * `config_dump.json`, `istio-proxy.log` and `stats.txt`, `proxy-status.txt|json`, and `snapshot-info.yaml`
 * (unavailable inputs, notes, analyze messages).
 * Never written: Secrets, `managedFields`, private keys (config dumps' key fields and any PEM private
 * key block become "[redacted]"). The directory must be new or empty, so that nothing stale is mixed in.
 */
export async function writeSnapshotDir(
  snapshot: ClusterSnapshot | LiveSnapshot,
  dir: string,
  options: WriteSnapshotOptions = {},
): Promise<{ files: string[] }> {
  const root = path.resolve(dir);
  await ensureEmptyDir(root);
  const files: string[] = [];
  const write = async (rel: string, content: string) => {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content, "utf8");
    files.push(rel);
  };

  const byFile = new Map<string, KubeObject[]>();
  for (const obj of allObjects(snapshot)) {
    const kind = obj.kind ?? "";
    const file = FILE_BY_KIND[kind];
    if (file === undefined) continue;
    let list = byFile.get(file);
    if (!list) byFile.set(file, (list = []));
    list.push(redactObject(obj));
  }
  for (const [file, items] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    items.sort(byNamespaceAndName);
    const list = { apiVersion: "v1", kind: "List", items };
    if (items.length > YAML_MAX_ITEMS) await write(`${file}.json`, `${JSON.stringify(list, null, 1)}\n`);
    else await write(`${file}.yaml`, stringify(list, { lineWidth: 0 }));
  }

  const skipped: string[] = [];
  for (const [key, data] of [...snapshot.proxies].sort(([a], [b]) => a.localeCompare(b))) {
    const [namespace = "", pod = ""] = key.split("/");
    if (!SAFE_NAME.test(namespace) || !SAFE_NAME.test(pod)) {
      skipped.push(key);
      continue;
    }
    if (data.configDump !== undefined) {
      await write(path.join("proxies", namespace, pod, "config_dump.json"), `${JSON.stringify(redactConfigDump(data.configDump), null, 2)}\n`);
    }
    if (data.log !== undefined) await write(path.join("proxies", namespace, pod, "istio-proxy.log"), redactText(data.log));
    if (data.stats !== undefined) await write(path.join("proxies", namespace, pod, "stats.txt"), data.stats);
  }

  const live: Partial<LiveSnapshot> = snapshot;
  const statusText =
    options.proxyStatusText ?? live.proxyStatusText ?? (snapshot.proxyStatus ? proxyStatusTable(snapshot.proxyStatus) : undefined);
  if (statusText !== undefined) {
    const json = /^\s*[[{]/.test(statusText);
    await write(json ? "proxy-status.json" : "proxy-status.txt", statusText.endsWith("\n") ? statusText : `${statusText}\n`);
  }

  const notes = [...(options.info?.notes ?? live.notes ?? [])];
  if (skipped.length > 0) notes.push(`proxy data of ${skipped.join(", ")} was not written: not valid pod names`);
  const info = snapshotInfo({ unavailable: { ...snapshot.unavailable }, notes });
  if (options.info?.capturedAt !== undefined) info.capturedAt = options.info.capturedAt;
  if (options.info?.cluster !== undefined) info.cluster = options.info.cluster;
  if (options.info?.namespaces !== undefined) info.namespaces = options.info.namespaces;
  if (options.info?.inputs !== undefined) info.inputs = options.info.inputs;
  if (snapshot.analyzeMessages !== undefined) info.analyzeMessages = snapshot.analyzeMessages;
  await write(SNAPSHOT_INFO_FILE, stringify(info, { lineWidth: 0 }));
  return { files: files.sort() };
}

async function ensureEmptyDir(root: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      await mkdir(root, { recursive: true });
      return;
    }
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") {
      throw new SnapshotWriteError(`${root} is a file: choose a directory for the snapshot`);
    }
    throw new SnapshotWriteError(`${root} cannot be read: ${(err as Error).message}`);
  }
  if (entries.length > 0) {
    throw new SnapshotWriteError(`${root} is not empty: choose a new directory, so that no stale file is read with the snapshot`);
  }
}

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  const ns = (a.metadata?.namespace ?? "").localeCompare(b.metadata?.namespace ?? "");
  return ns !== 0 ? ns : (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

const TABLE_TYPES = ["CDS", "LDS", "EDS", "RDS", "ECDS"];

/**
 * Proxy status entries as istioctl's pre-1.27 table (the layout with per-type columns), for
 * snapshots whose istioctl output was not kept. Columns are separated by at least two spaces.
 */
function proxyStatusTable(entries: readonly ProxyStatusEntry[]): string {
  const extra = [...new Set(entries.flatMap((e) => Object.keys(e.types)))].filter((t) => !TABLE_TYPES.includes(t)).sort();
  const types = [...TABLE_TYPES, ...extra];
  const header = ["NAME", "CLUSTER", ...types, "ISTIOD", "VERSION"];
  const rows = entries.map((e) => {
    const [namespace = "", pod = ""] = e.pod.split("/");
    return [`${pod}.${namespace}`, e.cluster || "-", ...types.map((t) => e.types[t] || "IGNORED"), e.istiod || "-", e.version || "-"];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("   ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
