import type { KubeConfig } from "@kubernetes/client-node";
import type { Redis } from "ioredis";
import { DEFAULT_ROOT_NAMESPACE } from "../cluster/collect-live.js";
import { detectMesh, MANAGED_MESH_GROUP } from "../cluster/detect-mesh.js";
import type { IstioctlRunner } from "../cluster/istioctl.js";
import type { Config } from "../config.js";
import { checkIstioctl } from "./check-istioctl.js";
import { checkKubeAccess } from "./check-kube-access.js";
import { checkMesh } from "./check-mesh.js";
import { checkRedis } from "./check-redis.js";
import { checkSlack } from "./check-slack.js";
import { preflightReport, type PreflightItem, type PreflightReport } from "./preflight-item.js";

export interface PreflightDeps {
  config: Pick<Config, "clusterName" | "slack" | "fixesEnabled" | "incidentChannel" | "scans" | "approverUsergroupIds">;
  kubeConfig: KubeConfig;
  /** The connection to PING and how to name it (no credentials); undefined: Redis is not configured. */
  redis?: { client: Redis; where: string };
  istioctl: IstioctlRunner | null;
  /** Why there is no istioctl, when `istioctl` is null. */
  istioctlMissingReason: string;
  /** Who the RBAC advice names. Default: the worker's ServiceAccount. */
  subject?: string;
  rootNamespace?: string;
  /** Per Kubernetes request, Slack call. */
  timeoutMs?: number;
  now?: () => Date;
}

/** Runs every preflight check at once and returns the report (never throws for what it finds). */
export async function runPreflight(deps: PreflightDeps): Promise<PreflightReport> {
  const rootNamespace = deps.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const { config } = deps;
  const timeouts = deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs };
  const slack = checkSlack({
    botToken: config.slack.botToken,
    ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}),
    fixesEnabled: config.fixesEnabled,
    usesApproverGroups: config.approverUsergroupIds.length > 0,
    ...timeouts,
  });
  const redis = checkRedis(deps.redis?.client, deps.redis?.where ?? "");
  const istioctl = checkIstioctl(deps.istioctl, deps.istioctlMissingReason);
  const kube = (async (): Promise<PreflightItem[]> => {
    const facts = await detectMesh(deps.kubeConfig, rootNamespace, timeouts);
    const access = await checkKubeAccess(deps.kubeConfig, {
      rootNamespace,
      subject: deps.subject ?? "the worker's ServiceAccount",
      features: {
        fixes: config.fixesEnabled,
        watch: config.incidentChannel !== undefined && config.scans.watchPolicies,
        managedMesh: facts.groups[MANAGED_MESH_GROUP] !== undefined && facts.groups[MANAGED_MESH_GROUP] !== null,
      },
      ...timeouts,
    });
    return [...collapseUnreachable(access, deps.kubeConfig), ...checkMesh(facts)];
  })();
  const [slackItems, redisItem, istioctlItem, kubeItems] = await Promise.all([slack, redis, istioctl, kube]);
  const now = (deps.now ?? (() => new Date()))();
  return preflightReport(config.clusterName, [...slackItems, ...kubeItems, redisItem, istioctlItem], now);
}

/** No access review answered at all: one item about the API server instead of one per permission. */
function collapseUnreachable(items: PreflightItem[], kc: KubeConfig): PreflightItem[] {
  if (items.length === 0 || items.some((i) => i.status !== "unknown")) return items;
  const server = kc.getCurrentCluster()?.server ?? "(no server)";
  return [
    {
      area: "kubernetes",
      name: "API server",
      status: "unknown",
      required: true,
      detail: `${server} answered no access review: ${items[0]?.detail ?? ""}`,
      impact: "nothing in the cluster can be read",
      enable: "check that the API server is reachable from here (egress to it, KUBECONFIG or the in-cluster ServiceAccount), then run preflight again",
    },
  ];
}
