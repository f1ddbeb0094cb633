import type { WebSocket } from "ws";

/** Subprotocols the fake accepts for exec, most preferred first, as kubelet does. */
const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"] as const;

const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
/** Kubelet streams output in chunks; the client must reassemble them. */
const CHUNK_BYTES = 32 * 1024;

export interface FakeExecRequest {
  command: string[];
  container: string;
  /** The proxy's data from the snapshot, when the pod has some. */
  proxy: { configDump?: unknown; stats?: string } | undefined;
  /** Whether the client asked for stdout / stderr (`stdout=true`). */
  stdout: boolean;
  stderr: boolean;
}

interface ExecOutcome {
  stdout?: string;
  stderr?: string;
  /** 0 for success; otherwise the process's exit code. */
  exitCode: number;
  /** Set when the process could not start at all (runc's message). */
  startError?: string;
}

/** Picks the subprotocol for an exec WebSocket from what the client offered. */
export function chooseExecProtocol(offered: ReadonlySet<string>): string | false {
  return EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false;
}

/**
 * Runs a command "in" the pod's container the way kubelet's exec stream reports it: output on
 * channels 1 and 2, then the status on channel 3 (v4/v5: a JSON `Status`), then a normal close.
 * `pilot-agent request GET config_dump[...]` in `istio-proxy` answers the snapshot's config dump, and
 * `pilot-agent request GET stats/prometheus` its stats.txt.
 */
export function runFakeExec(ws: WebSocket, request: FakeExecRequest): void {
  const outcome = execute(request);
  if (request.stdout && outcome.stdout) sendChunks(ws, STDOUT, outcome.stdout);
  if (request.stderr && outcome.stderr) sendChunks(ws, STDERR, outcome.stderr);
  const status = statusOf(request.command, outcome);
  if (ws.protocol === "channel.k8s.io") {
    if (status.status !== "Success") send(ws, STATUS, Buffer.from(String(status.message)));
  } else {
    send(ws, STATUS, Buffer.from(JSON.stringify(status)));
  }
  ws.close(1000);
}

function execute(request: FakeExecRequest): ExecOutcome {
  const [program, ...args] = request.command;
  if (program === undefined) return { exitCode: 0, startError: "no command was given" };
  if (request.container !== "istio-proxy" || program !== "pilot-agent") {
    return {
      exitCode: 0,
      startError: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": executable file not found in $PATH: unknown`,
    };
  }
  const [sub, method, path = ""] = args;
  if (sub !== "request" || method !== "GET" || args.length !== 3) {
    return { stderr: `Error: unknown command or arguments "${args.join(" ")}" for "pilot-agent"\n`, exitCode: 1 };
  }
  const endpoint = path.replace(/^\//, "");
  const refused = {
    stderr: `Error: failure running request: Get "http://localhost:15000/${endpoint}": dial tcp 127.0.0.1:15000: connect: connection refused\n`,
    exitCode: 1,
  };
  if (endpoint === "stats/prometheus") {
    return request.proxy?.stats === undefined ? refused : { stdout: request.proxy.stats, exitCode: 0 };
  }
  if (endpoint !== "config_dump" && !endpoint.startsWith("config_dump?")) {
    return { stderr: `Error: the fake istio-proxy only serves config_dump and stats/prometheus, not ${endpoint}\n`, exitCode: 1 };
  }
  if (request.proxy?.configDump === undefined) {
    return {
      stderr: `Error: failure running request: Get "http://localhost:15000/${endpoint}": dial tcp 127.0.0.1:15000: connect: connection refused\n`,
      exitCode: 1,
    };
  }
  return { stdout: `${JSON.stringify(request.proxy.configDump, null, 2)}\n`, exitCode: 0 };
}

function statusOf(command: string[], outcome: ExecOutcome): Record<string, unknown> {
  if (outcome.startError !== undefined) {
    return {
      metadata: {},
      status: "Failure",
      message: outcome.startError,
      reason: "InternalError",
      details: { causes: [{ message: outcome.startError }] },
      code: 500,
    };
  }
  if (outcome.exitCode === 0) return { metadata: {}, status: "Success" };
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${outcome.exitCode}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(outcome.exitCode) }] },
  };
}

function sendChunks(ws: WebSocket, channel: number, text: string): void {
  const data = Buffer.from(text);
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
    send(ws, channel, data.subarray(offset, offset + CHUNK_BYTES));
  }
}

function send(ws: WebSocket, channel: number, data: Buffer): void {
  ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true });
}
