import { createServer, type Server } from "node:http";
import type { Metrics } from "./metrics.js";

export interface ReadinessProbe {
  name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check(): Promise<void>;
}

export interface OpsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 2_000;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}

/**
 * `/healthz` (the process is alive), `/readyz` (its dependencies answer: Redis, Slack) and
 * `/metrics` (Prometheus), on their own port so that probes never depend on Slack's receiver.
 */
export async function startOpsServer(port: number, metrics: Metrics, probes: readonly ReadinessProbe[], isStopping: () => boolean): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/readyz") {
      if (isStopping()) {
        res.writeHead(503, { "content-type": "text/plain" }).end("stopping\n");
        return;
      }
      Promise.allSettled(probes.map((p) => withTimeout(p.check(), PROBE_TIMEOUT_MS))).then((results) => {
        const failed = results
          .map((r, i) => (r.status === "rejected" ? `${probes[i]?.name}: ${(r.reason as Error).message}` : undefined))
          .filter((x): x is string => x !== undefined);
        res.writeHead(failed.length === 0 ? 200 : 503, { "content-type": "text/plain" }).end(failed.length === 0 ? "ready\n" : `${failed.join("\n")}\n`);
      });
      return;
    }
    if (path === "/metrics") {
      metrics.registry.metrics().then((text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    server,
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
