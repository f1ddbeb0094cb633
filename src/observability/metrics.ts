import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The process's Prometheus metrics: one registry per process, passed to whoever counts. */
export interface Metrics {
  registry: Registry;
  commands: Counter<"command" | "outcome">;
  jobs: Counter<"queue" | "status">;
  jobDuration: Histogram<"queue">;
  findings: Counter<"code" | "severity">;
  slackCalls: Counter<"method" | "outcome">;
}

export function createMetrics(withDefaults = true): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: "mtls_doctor_" });
  return {
    registry,
    commands: new Counter({ name: "mtls_doctor_commands_total", help: "Slash commands by command and outcome", labelNames: ["command", "outcome"], registers: [registry] }),
    jobs: new Counter({ name: "mtls_doctor_jobs_total", help: "Queue jobs by queue and final status", labelNames: ["queue", "status"], registers: [registry] }),
    jobDuration: new Histogram({
      name: "mtls_doctor_job_duration_seconds",
      help: "Time from a job's start to its end",
      labelNames: ["queue"],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    findings: new Counter({ name: "mtls_doctor_findings_total", help: "Findings reported, by code and severity", labelNames: ["code", "severity"], registers: [registry] }),
    slackCalls: new Counter({ name: "mtls_doctor_slack_calls_total", help: "Slack Web API calls by method and outcome", labelNames: ["method", "outcome"], registers: [registry] }),
  };
}
