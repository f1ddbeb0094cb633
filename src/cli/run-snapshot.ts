import { captureSnapshot } from "../cluster/capture-snapshot.js";
import { kubeConfigFor } from "./load-live.js";
import type { SnapshotCommand } from "./parse-args.js";
import type { CliIo } from "./run-cli.js";

/** `mtls-doctor snapshot`: capture what the checks need into a directory (never Secrets or private keys). */
export async function runSnapshot(cmd: SnapshotCommand, io: CliIo): Promise<number> {
  const kc = kubeConfigFor(cmd.source);
  const result = await captureSnapshot({ kc, namespaces: cmd.namespaces, outDir: cmd.out, progress: io.stderr.isTTY === true });
  const skipped = Object.entries(result.snapshot.unavailable).map(([input, reason]) => `  not captured: ${input}: ${reason}\n`);
  io.stderr.write(`snapshot written to ${result.outDir}: ${result.files.length} files, ${result.snapshot.proxies.size} proxies\n${skipped.join("")}`);
  return 0;
}
