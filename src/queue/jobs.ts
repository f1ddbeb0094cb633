/** Where in Slack a requester waits for an answer. */
export interface SlackThread {
  channel: string;
  /** The parent message's ts: replies go into its thread. */
  parentTs: string;
  /** The user who asked. */
  userId: string;
}

export type DiagnoseTarget =
  | { mode: "check"; service: string; namespace: string; from?: { name: string; namespace: string } }
  | { mode: "scan"; namespaces: string[] };

/** A diagnosis request as it travels through Redis: names and IDs only, never a token or secret. */
export interface DiagnoseJobData {
  /** Stable for equal requests within the dedupe window: the BullMQ job id. */
  requestKey: string;
  cluster: string;
  target: DiagnoseTarget;
  thread: SlackThread;
  requestedAt: string;
  /** How the request came: a person's command, or a schedule / watch (no person to answer). */
  origin: "command" | "schedule" | "watch";
}

export interface DiagnoseJobResult {
  verdict: "ok" | "info" | "warning" | "critical";
  findings: number;
  codes: string[];
}

/** An approved fix (or its rollback) on its way to the cluster's worker: a reference, never the objects. */
export interface ApplyJobData {
  /** The fix reply that identifies the pending-fix record. */
  fix: { channel: string; ts: string };
  action: "apply" | "rollback";
  /** Who approved (or asked for the rollback). */
  actor: string;
  requestedAt: string;
}

export interface ApplyJobResult {
  outcome: "applied" | "refused" | "failed" | "rolled-back" | "skipped";
  detail?: string;
}
