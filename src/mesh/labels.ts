import type { LabelSelector, Labels } from "../cluster/kube-types.js";

/** Whether labels satisfy a Kubernetes label selector. An empty selector matches everything. */
export function matchesSelector(selector: LabelSelector | undefined, labels: Labels | undefined): boolean {
  if (!selector) return true;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const value = have[expr.key];
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (value === undefined) return false;
        break;
      case "DoesNotExist":
        if (value !== undefined) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Equality-only selectors (Service `spec.selector`, Istio `matchLabels`). */
export function matchesLabels(matchLabels: Labels | undefined, labels: Labels | undefined): boolean {
  return matchesSelector({ matchLabels: matchLabels ?? {} }, labels);
}

export function describeLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? "{}" : entries.map(([k, v]) => `${k}=${v}`).join(",");
}
