import type { AnalyzeMessage } from "../cluster/snapshot.js";
import type { Severity } from "./codes.js";
import { newFinding } from "./finding.js";
import type { Check } from "./types.js";

const SEVERITY_BY_LEVEL: Record<string, Severity> = { error: "critical", warning: "warning", warn: "warning", info: "info" };

/** istioctl's levels (Error, Warning, Info) as ours; anything unknown is passed on as info. */
export function severityOfLevel(level: string): Severity {
  return SEVERITY_BY_LEVEL[level.trim().toLowerCase()] ?? "info";
}

/** The resource as istioctl named it; a message without one is about the mesh as a whole. */
function resourceOf(message: AnalyzeMessage): string {
  return message.resource !== undefined && message.resource.trim() !== "" ? message.resource.trim() : "Mesh";
}

export const istioctlAnalyze: Check = {
  name: "istioctl-analyze",
  description: "Messages of istioctl analyze, passed through with their IST code.",
  inputs: ["istioctlAnalyze"],
  codes: ["MTLS903"],
  run(ctx) {
    const messages = ctx.view.analyzeMessages();
    if (messages === undefined) {
      ctx.skip("no istioctl analyze output in the snapshot");
      return;
    }
    for (const message of messages) {
      ctx.report(
        newFinding("MTLS903", {
          resource: resourceOf(message),
          params: { upstreamCode: message.code, message: message.message },
          upstreamCode: message.code,
          severity: severityOfLevel(message.level),
          evidence: [`istioctl analyze: ${message.level} [${message.code}] (${resourceOf(message)}) ${message.message}`],
        }),
      );
    }
  },
};
