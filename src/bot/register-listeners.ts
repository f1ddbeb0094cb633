import type { App } from "@slack/bolt";
import type { BotDeps } from "./bot-deps.js";
import { mtlsCommand } from "./listeners/commands/mtls-command.js";
import { reactionAdded, type ApprovalDeps } from "./listeners/events/reaction-added.js";

/** Every listener, one file each. */
export function registerListeners(app: App, deps: BotDeps, approvals: ApprovalDeps): void {
  app.command("/mtls", mtlsCommand(deps));
  app.event("reaction_added", reactionAdded(deps, approvals));
}
