// The incident logic after every report (a command's check or scan, a scheduled or watch-triggered
// scan): diff against the open findings, commit the new state together with the notifications it
// calls for, then hand every pending notification to delivery. Delivery is durable (a queue with
// retries) and idempotent (deterministic ids), so a crash or a Slack outage delays, never loses or
// doubles, a notification.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Finding } from "../checks/finding.js";
import type { Logger } from "../logger.js";
import type { DiagnoseJobData } from "../queue/jobs.js";
import type { Report } from "../report/report.js";
import { renderIncidentAnnouncement, renderIncidentDetails, renderIncidentResolved, type IncidentTrigger } from "../slack/render-incident.js";
import { reportSubject } from "../slack/report-subject.js";
import { diffFindings, fingerprintOf, hasChanges, observeReport, STALE_AFTER_MS, type FindingsDiff, type OpenFinding } from "./diff-findings.js";
import { IncidentState } from "./incident-state.js";
import type { IncidentNotification } from "./notification.js";

/** Commits that lose a race with another worker are recomputed on the new state this many times. */
const MAX_COMMIT_ATTEMPTS = 20;

export interface IncidentRecorderDeps {
  redis: Redis;
  prefix: string;
  /** The incident channel's ID. */
  channel: string;
  /** Durable delivery of notifications (in order; called with ones already handed over, too: it must be idempotent). */
  deliver: (notifications: IncidentNotification[]) => Promise<void>;
  logger: Logger;
  staleAfterMs?: number;
}

export type ReportHook = (report: Report, job: DiagnoseJobData, permalink: string | undefined) => Promise<void>;

function shortHash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 20);
}

function triggerOf(report: Report, job: DiagnoseJobData, permalink: string | undefined): IncidentTrigger {
  const trigger: IncidentTrigger = { origin: job.origin, subject: reportSubject(report) };
  if (job.origin === "command") {
    if (job.thread.userId !== "") trigger.userId = job.thread.userId;
    if (permalink !== undefined) trigger.permalink = permalink;
  }
  return trigger;
}

/** The notifications a committed diff calls for: ids depend on the state version, so equal diffs of one version share them. */
function notificationsFor(
  version: number,
  diff: FindingsDiff,
  context: { cluster: string; channel: string; trigger: IncidentTrigger; findings: readonly Finding[]; at: Date },
): { notifications: IncidentNotification[]; announcement?: string } {
  const { cluster, channel, trigger, at } = context;
  const notifications: IncidentNotification[] = [];
  const next = (n: Omit<IncidentNotification, "seq" | "cluster" | "channel">) =>
    notifications.push({ ...n, cluster, channel, seq: version * 10_000 + notifications.length });
  let announcement: string | undefined;
  if (diff.opened.length > 0) {
    announcement = `incident-${cluster}-${shortHash(String(version), ...diff.opened.map((f) => f.fingerprint))}`;
    // The report's own findings carry evidence; the first of each fingerprint is the one shown.
    const full = new Map<string, Finding>();
    for (const f of context.findings) {
      const fingerprint = fingerprintOf(cluster, f.code, f.resource);
      if (!full.has(fingerprint)) full.set(fingerprint, f);
    }
    const shown = diff.opened.map((f) => full.get(f.fingerprint) ?? f);
    next({ id: announcement, kind: "announcement", message: renderIncidentAnnouncement({ cluster, trigger, findings: shown, stillOpen: diff.stillOpen.length, at }) });
    const pages = renderIncidentDetails(cluster, shown);
    pages.forEach((message, i) => next({ id: `${announcement}-details-${i + 1}`, kind: "details", threadOf: announcement, message }));
  }
  const byAnnouncement = new Map<string, OpenFinding[]>();
  for (const entry of diff.resolved) byAnnouncement.set(entry.announcement, [...(byAnnouncement.get(entry.announcement) ?? []), entry]);
  for (const [parent, resolved] of byAnnouncement) {
    next({
      id: `resolved-${cluster}-${shortHash(String(version), parent)}`,
      kind: "resolution",
      threadOf: parent,
      message: renderIncidentResolved({ cluster, trigger, resolved, at }),
    });
  }
  return announcement === undefined ? { notifications } : { notifications, announcement };
}

/**
 * The diagnose worker's `onReport` hook: announces new incident-worthy findings once (however many
 * workers diagnose the same thing at once), posts resolutions in the announcement's thread, and keeps
 * first/last seen and who has seen each open finding.
 */
export function createIncidentRecorder(deps: IncidentRecorderDeps): ReportHook {
  return async (report, job, permalink) => {
    const observation = observeReport(report, job);
    const state = new IncidentState(deps.redis, deps.prefix, job.cluster);
    const trigger = triggerOf(report, job, permalink);
    for (let attempt = 1; ; attempt++) {
      const { version, open } = await state.read();
      const diff = diffFindings(open.values(), observation, deps.staleAfterMs ?? STALE_AFTER_MS);
      if (!hasChanges(diff)) break;
      const { notifications, announcement } = notificationsFor(version, diff, {
        cluster: job.cluster,
        channel: deps.channel,
        trigger,
        findings: report.findings,
        at: new Date(observation.at),
      });
      const opened: OpenFinding[] = diff.opened.map((f) => ({
        ...f,
        firstSeen: observation.at,
        lastSeen: observation.at,
        announcement: announcement ?? "",
        observers: [observation.observer],
      }));
      const committed = await state.commit(version, {
        set: [...opened, ...diff.stillOpen],
        remove: [...diff.resolved, ...diff.expired].map((f) => f.fingerprint),
        outbox: notifications,
      });
      if (committed) {
        if (notifications.length > 0) {
          deps.logger.info(
            { cluster: job.cluster, opened: diff.opened.length, resolved: diff.resolved.length, expired: diff.expired.length, notifications: notifications.map((n) => n.id) },
            "incident state changed",
          );
        }
        break;
      }
      if (attempt >= MAX_COMMIT_ATTEMPTS) throw new Error(`the incident state of ${job.cluster} kept changing during ${attempt} attempts to record a report`);
    }
    // Everything pending, not only this report's: a notification committed by a process that died before handing it over goes now.
    await deps.deliver(await state.pending());
  };
}
