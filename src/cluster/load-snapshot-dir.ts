import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments, parseDocument } from "yaml";
import { parseProxyStatus } from "../proxy/proxy-status.js";
import { addObject, emptySnapshot, type ClusterSnapshot } from "./snapshot.js";

/** Larger files are refused rather than read: a snapshot is text a person could have captured. */
export const MAX_SNAPSHOT_FILE_BYTES = 256 * 1024 * 1024;
/** YAML aliases beyond this are refused, so that an alias bomb cannot expand into gigabytes. */
const MAX_YAML_ALIASES = 100;

const OBJECT_FILE = /\.(ya?ml|json)$/i;

export class SnapshotError extends Error {
  override readonly name = "SnapshotError";
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/**
 * Reads a snapshot directory as DESIGN.md specifies: every YAML/JSON file holds Kubernetes objects
 * (single, multi-document, or Lists), `proxies/<ns>/<pod>/` holds config dumps and proxy logs, and
 * `proxy-status.txt|json` at the top holds `istioctl proxy-status` output.
 */
export async function loadSnapshotDir(dir: string): Promise<ClusterSnapshot> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new SnapshotError(`snapshot directory ${dir} does not exist or is not a directory`);
  }
  const snapshot = emptySnapshot();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const e of entries) {
    const full = path.join(e.parentPath, e.name);
    // A linked file counts like any other (snapshots are often assembled from links).
    if (e.isFile() || (e.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile())) files.push(full);
  }
  files.sort();
  for (const file of files) {
    const rel = path.relative(root, file).split(path.sep);
    if (rel[0] === "proxies") {
      await loadProxyFile(snapshot, file, rel);
    } else if (rel.length === 1 && /^proxy-status\.(txt|json)$/.test(rel[0] ?? "")) {
      try {
        snapshot.proxyStatus = parseProxyStatus(await readText(file));
      } catch (err) {
        if (err instanceof SnapshotError) throw err;
        throw new SnapshotError(`${file}: not istioctl proxy-status output: ${(err as Error).message}`, file);
      }
    } else if (OBJECT_FILE.test(file)) {
      for (const obj of parseObjectFile(await readText(file), file)) addObject(snapshot, obj);
    }
  }
  return snapshot;
}

async function loadProxyFile(snapshot: ClusterSnapshot, file: string, rel: string[]): Promise<void> {
  if (rel.length !== 4) return;
  const [, namespace, pod, name] = rel as [string, string, string, string];
  const key = `${namespace}/${pod}`;
  const data = snapshot.proxies.get(key) ?? {};
  if (name === "config_dump.json") {
    data.configDump = parseJson(await readText(file), file);
  } else if (name === "istio-proxy.log") {
    data.log = await readText(file);
  } else if (name === "stats.txt") {
    data.stats = await readText(file);
  } else {
    return;
  }
  snapshot.proxies.set(key, data);
}

async function readText(file: string): Promise<string> {
  const { size } = await stat(file);
  if (size > MAX_SNAPSHOT_FILE_BYTES) {
    throw new SnapshotError(
      `${file} is ${size} bytes, over the ${MAX_SNAPSHOT_FILE_BYTES}-byte limit for a snapshot file: split it or capture fewer namespaces`,
      file,
    );
  }
  return readFile(file, "utf8");
}

/** Parses one object file. JSON goes through JSON.parse (fast, exact); everything else through YAML. */
export function parseObjectFile(text: string, file: string): unknown[] {
  if (/\.json$/i.test(file)) return [parseJson(text, file)];
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: false });
  if (!Array.isArray(docs)) return [];
  const objects: unknown[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line;
      throw new SnapshotError(`${file}${line ? `:${line}` : ""}: not valid YAML: ${firstLine(error.message)}`, file, line);
    }
    try {
      objects.push(doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }));
    } catch (err) {
      throw new SnapshotError(`${file}: refused: ${(err as Error).message}`, file);
    }
  }
  return objects;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const line = position !== undefined ? text.slice(0, Number(position)).split("\n").length : jsonErrorLine(text);
    throw new SnapshotError(`${file}${line ? `:${line}` : ""}: not valid JSON: ${message}`, file, line);
  }
}

/** Node's JSON errors do not always say where: the YAML parser (JSON is YAML) finds the line. */
function jsonErrorLine(text: string): number {
  const doc = parseDocument(text, { prettyErrors: true });
  const line = doc.errors[0]?.linePos?.[0].line;
  return line ?? text.trimEnd().split("\n").length;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
