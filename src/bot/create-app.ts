import { App } from "@slack/bolt";
import type { Config } from "../config.js";
import { slackLogger, type Logger } from "../logger.js";

/** The Bolt app: Socket Mode when an app token is configured, else the HTTP receiver on PORT. */
export function createApp(config: Config, logger: Logger): App {
  const clientOptions = config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {};
  const common = { token: config.slack.botToken, clientOptions, logger: slackLogger(logger, "bolt") };
  if (config.slack.appToken) {
    return new App({ ...common, socketMode: true, appToken: config.slack.appToken, installerOptions: { clientOptions } });
  }
  return new App({ ...common, signingSecret: config.slack.signingSecret ?? "", port: config.port });
}
