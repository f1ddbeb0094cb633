import type { KubeConfig } from "@kubernetes/client-node";
import { CHECKS } from "../checks/registry.js";
import { reviewAccess, type AccessAnswer } from "../cluster/access-review.js";
import { accessNeeded, qualifiedResource, type AccessFeatures, type AccessNeed } from "../cluster/required-access.js";
import type { PreflightItem } from "./preflight-item.js";

/** The Helm value behind each optional feature, where one turns it on. */
const HELM_SETTING: Partial<Record<AccessNeed["feature"], string>> = {
  exec: "Helm value proxyInspection.exec=true",
  watch: "Helm values slack.incidentChannel and scans.watchPolicies=true",
  fixes: "Helm value fixes.enabled=true",
};

/** The RBAC rule that grants a need, as one line of a role's `rules:`. */
export function ruleLine(need: Pick<AccessNeed, "group" | "resource" | "verbs">): string {
  const list = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(", ")}]`;
  return `- { apiGroups: [${JSON.stringify(need.group)}], resources: [${JSON.stringify(need.resource)}], verbs: ${list(need.verbs)} }`;
}

function where(need: AccessNeed, rootNamespace: string): string {
  return need.scope === "mesh-root" ? `in namespace ${rootNamespace}` : "in every namespace";
}

/** What is skipped without a need: its own words, and the checks that read the input it fills. */
function impactOf(need: AccessNeed): string {
  const checks = need.input === undefined ? [] : CHECKS.filter((c) => c.inputs.includes(need.input as never)).map((c) => c.name);
  return checks.length > 0 ? `${need.withoutIt} (checks skipped: ${checks.join(", ")})` : need.withoutIt;
}

export interface KubeAccessOptions {
  rootNamespace: string;
  features: AccessFeatures;
  /** Named in the advice: the ServiceAccount the worker runs as, or "your user". */
  subject: string;
  timeoutMs?: number;
}

/**
 * One SelfSubjectAccessReview per verb of every permission the worker needs in this configuration
 * (src/cluster/required-access.ts), and one item per permission.
 */
export async function checkKubeAccess(kc: KubeConfig, options: KubeAccessOptions): Promise<PreflightItem[]> {
  const needs = accessNeeded(options.features);
  const questions = needs.flatMap((need) =>
    need.verbs.map((verb) => ({
      verb,
      group: need.group,
      resource: need.resource,
      ...(need.scope === "mesh-root" ? { namespace: options.rootNamespace } : {}),
    })),
  );
  const answers = await reviewAccess(kc, questions, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  let next = 0;
  return needs.map((need) => {
    const mine: AccessAnswer[] = answers.slice(next, next + need.verbs.length);
    next += need.verbs.length;
    return accessItem(need, mine, options);
  });
}

function accessItem(need: AccessNeed, answers: readonly AccessAnswer[], options: KubeAccessOptions): PreflightItem {
  const resource = qualifiedResource(need);
  const name = `${need.verbs.join(",")} ${resource}${need.scope === "mesh-root" ? ` (${options.rootNamespace})` : ""}`;
  const denied = answers.filter((a) => a.allowed === false).map((a) => a.question.verb);
  const unanswered = answers.filter((a) => a.allowed === undefined);
  const base = { area: "kubernetes" as const, name, required: need.required };
  if (denied.length === 0 && unanswered.length === 0) return { ...base, status: "ok", detail: `allowed ${where(need, options.rootNamespace)}` };
  const role = need.scope === "mesh-root" ? `a Role in ${options.rootNamespace}` : "a ClusterRole";
  const grant = `${ruleLine({ ...need, verbs: denied.length > 0 ? denied : need.verbs })} in ${role} bound to ${options.subject}`;
  const setting = HELM_SETTING[need.feature];
  const enable = setting ? `${setting} (the chart then grants it), or add ${grant}` : `add ${grant} (the chart grants it with rbac.create=true)`;
  if (denied.length === 0) {
    return { ...base, status: "unknown", detail: `the API server did not answer the access review: ${unanswered[0]?.error ?? "no answer"}`, impact: impactOf(need), enable };
  }
  return { ...base, status: "missing", detail: `denied: ${denied.join(", ")} ${resource} ${where(need, options.rootNamespace)}`, impact: impactOf(need), enable };
}
