import type { App } from "@slack/bolt";
import type { BotDeps } from "./bot-deps.js";
import { mtlsCommand } from "./listeners/commands/mtls-command.js";

/** Every listener, one file each; the issue that adds reactions registers its events here. */
export function registerListeners(app: App, deps: BotDeps): void {
  app.command("/mtls", mtlsCommand(deps));
}
