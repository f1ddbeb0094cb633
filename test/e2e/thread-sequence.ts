import type { FakeSlackCall } from "../support/fake-slack.js";

export type ThreadStep = "parent" | "progress" | "summary" | "finding" | "fix" | "upload" | "verdict";

/**
 * What a person watching the channel saw for one request, in order: the parent, its progress
 * updates, the thread replies (summary, findings, fixes), the files shared into the thread, and the
 * parent's final verdict. Calls that show nothing (permalinks, upload URLs) are left out.
 */
export function threadSteps(calls: readonly FakeSlackCall[], channel: string, parentTs: string): ThreadStep[] {
  const steps: ThreadStep[] = [];
  for (const call of calls) {
    if (call.status !== 200 || call.response?.["ok"] !== true) continue;
    const text = String(call.body["text"] ?? "");
    if (call.method === "chat.postMessage" && call.body["channel"] === channel) {
      if (call.body["thread_ts"] === undefined && call.response["ts"] === parentTs) steps.push("parent");
      else if (call.body["thread_ts"] === parentTs) steps.push(!steps.includes("summary") ? "summary" : text.startsWith("Fix for ") ? "fix" : "finding");
    } else if (call.method === "chat.update" && call.body["channel"] === channel && call.body["ts"] === parentTs) {
      steps.push(/checks done|^Checking |^Scanning /.test(text) ? "progress" : "verdict");
    } else if (call.method === "files.completeUploadExternal" && call.body["channel_id"] === channel && call.body["thread_ts"] === parentTs) {
      steps.push("upload");
    }
  }
  return steps;
}

/** Repeated steps folded into one (`progress progress` → `progress+`), for a readable expectation. */
export function foldSteps(steps: readonly ThreadStep[]): string {
  const out: string[] = [];
  for (const step of steps) {
    const last = out.at(-1);
    if (last === step || last === `${step}+`) out[out.length - 1] = `${step}+`;
    else out.push(step);
  }
  return out.join(" ");
}
