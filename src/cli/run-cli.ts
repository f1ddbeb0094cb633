import { SnapshotError } from "../cluster/load-snapshot-dir.js";
import { SEVERITY_RANK } from "../checks/codes.js";
import { diagnose } from "../engine/diagnose.js";
import type { Report } from "../report/report.js";
import { loadInput } from "./load-input.js";
import { parseCommandLine, USAGE, type DiagnoseCommand, type FailOn } from "./parse-args.js";
import { COLOURS, PLAIN, renderText } from "./render-text.js";
import { UsageError } from "./usage-error.js";

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export type ServeCommand = "bot" | "worker" | "all";

export interface CliHooks {
  /** Runs a long-lived process (bot, worker, all); resolves when it has stopped. */
  serve?: (command: ServeCommand) => Promise<number>;
  snapshot?: (cmd: Extract<ReturnType<typeof parseCommandLine>, { command: "snapshot" }>, io: CliIo) => Promise<number>;
  audit?: (cmd: Extract<ReturnType<typeof parseCommandLine>, { command: "audit" }>, io: CliIo) => Promise<number>;
  preflight?: (cmd: Extract<ReturnType<typeof parseCommandLine>, { command: "preflight" }>, io: CliIo) => Promise<number>;
}

export function reachesFailOn(report: Report, failOn: FailOn): boolean {
  if (failOn === "never" || report.verdict === "ok") return false;
  return SEVERITY_RANK[report.verdict] >= SEVERITY_RANK[failOn];
}

async function runDiagnose(cmd: DiagnoseCommand, io: CliIo): Promise<number> {
  const { snapshot, request } = await loadInput(cmd, cmd.now ?? new Date());
  const report = diagnose(snapshot, request);
  if (cmd.output === "json") {
    io.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } else {
    const colour = io.stdout.isTTY === true && io.env["NO_COLOR"] === undefined;
    io.stdout.write(renderText(report, colour ? COLOURS : PLAIN));
  }
  return reachesFailOn(report, cmd.failOn) ? 1 : 0;
}

/** The command line: returns the exit code (0 ran, 1 findings reached --fail-on, 2 bad usage or input). */
export async function runCli(argv: readonly string[], io: CliIo, hooks: CliHooks = {}): Promise<number> {
  try {
    const cmd = parseCommandLine(argv);
    switch (cmd.command) {
      case "help":
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case "version":
        io.stdout.write("mtls-doctor 0.1.0\n");
        return 0;
      case "check":
      case "scan":
        return await runDiagnose(cmd, io);
      case "audit":
        if (!hooks.audit) throw new UsageError("audit is not available in this build");
        return await hooks.audit(cmd, io);
      case "preflight":
        if (!hooks.preflight) throw new UsageError("preflight is not available in this build");
        return await hooks.preflight(cmd, io);
      case "snapshot":
        if (!hooks.snapshot) throw new UsageError("snapshot is not available in this build");
        return await hooks.snapshot(cmd, io);
      default:
        if (!hooks.serve) throw new UsageError(`${cmd.command} is not available in this build`);
        return await hooks.serve(cmd.command);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`mtls-doctor: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof SnapshotError || (err as { code?: string }).code === "ENOENT" || err instanceof InputError) {
      io.stderr.write(`mtls-doctor: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

/** Input that cannot be read (kubeconfig missing, cluster unreachable): exit 2 with the message. */
export class InputError extends Error {
  override readonly name = "InputError";
}
