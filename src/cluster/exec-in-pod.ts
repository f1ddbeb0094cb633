import { Writable } from "node:stream";
import { Exec, type KubeConfig, type V1Status } from "@kubernetes/client-node";
import { failureForStatus, failureReason, KubeApiError, type KubeAction } from "./kube-client.js";

export interface ExecInPodOptions {
  namespace: string;
  pod: string;
  container: string;
  /** The program and its arguments, passed as an array (never through a shell). */
  command: string[];
  timeoutMs: number;
  /** Output beyond this is refused: the command is stopped and the call fails. */
  maxBytes: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a container over the API server's exec WebSocket and returns its output.
 * Fails with a KubeApiError whose message says what to do: forbidden (RBAC on `pods/exec`), a
 * non-zero exit (with the command's stderr), a timeout or output over `maxBytes`.
 */
export async function execInPod(kc: KubeConfig, options: ExecInPodOptions): Promise<ExecResult> {
  const action: KubeAction = { verb: "create", resource: "pods/exec", namespace: options.namespace, name: options.pod };
  const stdout = new CappedSink(options.maxBytes);
  const stderr = new CappedSink(64 * 1024);
  let status: V1Status | undefined;
  let socket: Awaited<ReturnType<Exec["exec"]>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let abandoned = false;

  const finished = new Promise<void>((resolve, reject) => {
    const abandon = (error: KubeApiError) => {
      abandoned = true;
      socket?.terminate();
      reject(error);
    };
    timer = setTimeout(() => {
      abandon(new KubeApiError("timeout", action, failureReason("timeout", action, { timeoutMs: options.timeoutMs })));
    }, options.timeoutMs);
    stdout.onOverflow = () => {
      abandon(
        new KubeApiError(
          "too-large",
          action,
          failureReason("too-large", action, {
            serverMessage: `the output of ${options.command.join(" ")} is over ${options.maxBytes} bytes (raise the limit to read it)`,
          }),
        ),
      );
    };
    new Exec(kc)
      .exec(options.namespace, options.pod, options.container, options.command, stdout, stderr, null, false, (s) => {
        status = s;
      })
      .then((ws) => {
        socket = ws;
        // Opened after the call gave up (timeout): close it rather than leave it streaming.
        if (abandoned) ws.terminate();
        ws.on("close", () => resolve());
        ws.on("error", (err: Error) => reject(connectionError(err, action, kc)));
      })
      .catch((err: unknown) => reject(connectionError(err, action, kc)));
  });

  try {
    await finished;
  } finally {
    clearTimeout(timer);
  }
  // The v1 channel protocol sends no status: output without an error then counts as success.
  if (status === undefined && stdout.text() === "") {
    throw new KubeApiError(
      "http",
      action,
      `cannot ${options.command.join(" ")} in ${options.namespace}/${options.pod}: the exec stream closed without an exit status (retry)`,
    );
  }
  if (status !== undefined && status.status !== "Success") {
    const detail = stderr.text().trim().split("\n").slice(-3).join(" ").slice(0, 300) || status.message || "failed";
    throw new KubeApiError(
      "http",
      action,
      `${options.command.join(" ")} in ${options.namespace}/${options.pod} (container ${options.container}) failed: ${detail}`,
    );
  }
  return { stdout: stdout.text(), stderr: stderr.text() };
}

/** client-node rejects an exec whose upgrade was refused with ws's "Unexpected server response: 403". */
function connectionError(err: unknown, action: KubeAction, kc: KubeConfig): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const message = (err as { message?: string } | undefined)?.message ?? String(err);
  const status = /Unexpected server response: (\d{3})/.exec(message)?.[1];
  if (status !== undefined) {
    const code = Number(status);
    const failure = failureForStatus(code);
    return new KubeApiError(failure, action, failureReason(failure, action, { status: code }), code);
  }
  return new KubeApiError(
    "network",
    action,
    failureReason("network", action, { serverMessage: message, server: kc.getCurrentCluster()?.server }),
  );
}

/** Collects a stream's bytes up to a limit and reports the first byte over it. */
class CappedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private overflowed = false;
  onOverflow: (() => void) | undefined;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.overflowed) {
      this.size += chunk.length;
      if (this.size > this.maxBytes) {
        this.overflowed = true;
        this.chunks.length = 0;
        this.onOverflow?.();
      } else {
        this.chunks.push(Buffer.from(chunk));
      }
    }
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
