import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The fake `istioctl` script (an executable Node script). */
export const fakeIstioctlPath: string = fileURLToPath(new URL("./fake-istioctl.mjs", import.meta.url));

export interface FakeIstioctlOptions {
  /** Snapshot directory it answers from (FAKE_ISTIOCTL_DIR). */
  snapshotDir?: string;
  /** Print proxy-status in this format rather than the file as it is. */
  proxyStatusFormat?: "pre127" | "127" | "json";
  /** What `istioctl version` reports. */
  version?: string;
  /** File each invocation's argv is appended to, one JSON line each. */
  logFile?: string;
  sleepMs?: number;
  /** Exit with this code (after an error on stderr). */
  exitCode?: number;
}

/** Environment variables that steer the fake (merge them into the child's environment). */
export function fakeIstioctlEnv(options: FakeIstioctlOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (options.snapshotDir !== undefined) env.FAKE_ISTIOCTL_DIR = options.snapshotDir;
  if (options.proxyStatusFormat !== undefined) env.FAKE_ISTIOCTL_PROXY_STATUS_FORMAT = options.proxyStatusFormat;
  if (options.version !== undefined) env.FAKE_ISTIOCTL_VERSION = options.version;
  if (options.logFile !== undefined) env.FAKE_ISTIOCTL_LOG = options.logFile;
  if (options.sleepMs !== undefined) env.FAKE_ISTIOCTL_SLEEP_MS = String(options.sleepMs);
  if (options.exitCode !== undefined) env.FAKE_ISTIOCTL_EXIT = String(options.exitCode);
  return env;
}

export interface FakeIstioctlBin {
  /** A temporary directory holding an executable `istioctl`. */
  dir: string;
  /** The `istioctl` in it. */
  istioctl: string;
  /** `dir` first, then the current PATH: the value for a child's PATH. */
  pathEnv: string;
  /** Removes the directory. */
  cleanup(): Promise<void>;
}

/**
 * Makes a temporary bin directory whose `istioctl` runs the fake with this Node, so that code finding
 * `istioctl` on PATH finds the fake. A shell wrapper rather than a symlink: it works whatever the
 * script's file mode and whichever `node` is first on PATH.
 */
export async function prepareFakeIstioctlBin(): Promise<FakeIstioctlBin> {
  const dir = await mkdtemp(path.join(tmpdir(), "fake-istioctl-"));
  const istioctl = path.join(dir, "istioctl");
  await writeFile(istioctl, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(fakeIstioctlPath)} "$@"\n`);
  await chmod(istioctl, 0o755);
  return {
    dir,
    istioctl,
    pathEnv: [dir, process.env.PATH ?? ""].filter((p) => p !== "").join(path.delimiter),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The argv of each recorded invocation, in order; [] when nothing ran. */
export async function readFakeIstioctlLog(logFile: string): Promise<string[][]> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => (JSON.parse(line) as { argv: string[] }).argv);
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
