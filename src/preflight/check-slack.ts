import { authTest } from "../slack/auth-test.js";
import { neededBotScopes, withoutScope } from "../slack/slack-scopes.js";
import type { PreflightItem } from "./preflight-item.js";

export interface SlackPreflightOptions {
  botToken: string;
  apiUrl?: string;
  /** reactions:read matters only where approvals can apply fixes. */
  fixesEnabled: boolean;
  /** usergroups:read matters only with APPROVER_USERGROUP_IDS. */
  usesApproverGroups: boolean;
  timeoutMs?: number;
}

const REINSTALL =
  "add it under OAuth & Permissions → Bot Token Scopes (slack/manifest.yaml lists every scope), then reinstall the app to the workspace; if Slack issues a new bot token, put it in the Secret";

/** Whether a needed scope is required in this configuration. */
function scopeRequired(scope: string, options: SlackPreflightOptions): boolean {
  if (scope === "reactions:read") return options.fixesEnabled;
  if (scope === "usergroups:read") return options.usesApproverGroups;
  return true;
}

/** The bot token works (auth.test) and has every scope of the table in src/slack/slack-scopes.ts. */
export async function checkSlack(options: SlackPreflightOptions): Promise<PreflightItem[]> {
  const answer = await authTest(options.botToken, {
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  if (!answer.ok) {
    const rejected = ["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "not_allowed_token_type"].includes(answer.error ?? "");
    return [
      {
        area: "slack",
        name: "bot token",
        status: rejected ? "missing" : "unknown",
        required: true,
        detail: rejected ? `Slack refused the bot token (${answer.error})` : `auth.test got no answer: ${answer.error ?? "unknown error"}`,
        impact: "nothing can be posted to Slack",
        enable: rejected
          ? "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into SLACK_BOT_TOKEN (the Secret's bot-token key)"
          : "check that the worker can reach Slack over HTTPS (egress, proxy, SLACK_API_URL), then run preflight again",
      },
    ];
  }
  const needed = neededBotScopes();
  const granted = answer.scopes;
  const extra = granted === undefined ? [] : granted.filter((s) => !needed.includes(s)).sort();
  const items: PreflightItem[] = [
    {
      area: "slack",
      name: "bot token",
      status: "ok",
      required: true,
      detail: `works for workspace ${answer.team ?? answer.teamId ?? "?"} as ${answer.userId ?? "?"}${extra.length > 0 ? `; granted scopes mtls-doctor does not use: ${extra.join(", ")}` : ""}`,
    },
  ];
  if (granted === undefined) {
    items.push({
      area: "slack",
      name: "scopes",
      status: "unknown",
      required: true,
      detail: "auth.test answered without an x-oauth-scopes header, so the granted scopes are unknown",
      impact: "a missing scope shows up only when its call fails",
      enable: `make sure the app has the bot scopes ${needed.join(", ")}`,
    });
    return items;
  }
  for (const scope of needed) {
    const has = granted.includes(scope);
    items.push({
      area: "slack",
      name: `scope ${scope}`,
      status: has ? "ok" : "missing",
      required: scopeRequired(scope, options),
      detail: has ? "granted" : "not granted to the bot token",
      ...(has ? {} : { impact: withoutScope(scope), enable: `bot scope ${scope}: ${REINSTALL}` }),
    });
  }
  return items;
}
