// Every Slack Web API method, event and command the bot and the worker use, with the bot scope it
// needs. slack/manifest.yaml requests exactly these scopes (test/slack/manifest.test.ts) and
// `mtls-doctor preflight` compares them with what the installed token was granted.

export interface SlackApiUse {
  /** A Web API method (`chat.postMessage`), an event (`event:reaction_added`) or a slash command (`command:/mtls`). */
  use: string;
  /** The bot token scope it needs; null when none is needed (auth.test, chat.getPermalink). */
  scope: string | null;
  /** What stops working without it, in words the installer reads. */
  withoutIt: string;
}

export const SLACK_API_USES: readonly SlackApiUse[] = [
  { use: "command:/mtls", scope: "commands", withoutIt: "the /mtls command does not reach the bot" },
  { use: "chat.postMessage", scope: "chat:write", withoutIt: "no answer, thread reply or incident message can be posted" },
  { use: "chat.update", scope: "chat:write", withoutIt: "the parent message never shows progress or the verdict" },
  { use: "chat.postEphemeral", scope: "chat:write", withoutIt: "refused approvals are not explained to the person who reacted" },
  { use: "chat.getPermalink", scope: null, withoutIt: "links to threads are missing" },
  { use: "files.getUploadURLExternal", scope: "files:write", withoutIt: "fix YAML and overflow files are not uploaded into the thread" },
  { use: "files.completeUploadExternal", scope: "files:write", withoutIt: "fix YAML and overflow files are not uploaded into the thread" },
  { use: "event:reaction_added", scope: "reactions:read", withoutIt: "approve, reject and rollback reactions never reach the bot" },
  { use: "usergroups.users.list", scope: "usergroups:read", withoutIt: "members of APPROVER_USERGROUP_IDS cannot approve fixes" },
  { use: "auth.test", scope: null, withoutIt: "the bot cannot learn its own user id" },
];

/** The bot scopes mtls-doctor needs, sorted: what the manifest requests and preflight expects. */
export function neededBotScopes(): string[] {
  return [...new Set(SLACK_API_USES.flatMap((u) => (u.scope === null ? [] : [u.scope])))].sort();
}

/** What stops working when a scope is missing: every use that needs it, joined. */
export function withoutScope(scope: string): string {
  return [...new Set(SLACK_API_USES.filter((u) => u.scope === scope).map((u) => u.withoutIt))].join("; ");
}
