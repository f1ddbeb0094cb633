import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "../../src/observability/metrics.js";
import { startOpsServer, type OpsServer, type ReadinessProbe } from "../../src/observability/ops-server.js";

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${server?.port}${path}`);
  return { status: response.status, body: await response.text() };
}

const up: ReadinessProbe = { name: "redis (bot)", check: async () => undefined };
const down: ReadinessProbe = {
  name: "redis (worker)",
  check: async () => {
    throw new Error("Connection is closed.");
  },
};
const hung: ReadinessProbe = { name: "slack", check: () => new Promise<void>(() => undefined) };

describe("the ops server", () => {
  it("is alive and ready when every dependency answers", async () => {
    server = await startOpsServer(0, createMetrics(false), [up], () => false);
    expect(await get("/healthz")).toEqual({ status: 200, body: "ok\n" });
    expect(await get("/readyz")).toEqual({ status: 200, body: "ready\n" });
  });

  it("is not ready while a dependency fails or does not answer, and says which; still alive", async () => {
    server = await startOpsServer(0, createMetrics(false), [up, down, hung], () => false);
    const started = Date.now();
    const ready = await get("/readyz");
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(ready.status).toBe(503);
    expect(ready.body).toBe("redis (worker): Connection is closed.\nslack: no answer within 2000 ms\n");
    expect((await get("/healthz")).status).toBe(200);
  });

  it("is not ready while stopping, so that no new work is routed to it", async () => {
    let stopping = false;
    server = await startOpsServer(0, createMetrics(false), [up], () => stopping);
    expect((await get("/readyz")).status).toBe(200);
    stopping = true;
    expect(await get("/readyz")).toEqual({ status: 503, body: "stopping\n" });
  });

  it("exposes the metrics in Prometheus' text format", async () => {
    const metrics = createMetrics();
    metrics.commands.inc({ command: "check", outcome: "queued" });
    metrics.jobs.inc({ queue: "diagnose-prod", status: "completed" });
    metrics.jobDuration.observe({ queue: "diagnose" }, 1.2);
    metrics.findings.inc({ code: "MTLS201", severity: "critical" });
    server = await startOpsServer(0, metrics, [], () => false);
    const { status, body } = await get("/metrics");
    expect(status).toBe(200);
    expect(body).toMatch(/^mtls_doctor_commands_total\{command="check",outcome="queued"\} 1$/m);
    expect(body).toMatch(/^mtls_doctor_jobs_total\{queue="diagnose-prod",status="completed"\} 1$/m);
    expect(body).toMatch(/^mtls_doctor_job_duration_seconds_bucket\{le="2",queue="diagnose"\} 1$/m);
    expect(body).toMatch(/^mtls_doctor_findings_total\{code="MTLS201",severity="critical"\} 1$/m);
    expect(body).toMatch(/^mtls_doctor_process_cpu_seconds_total /m);
    expect((await get("/other")).status).toBe(404);
  });
});
