import { App, LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";

function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: "bolt" });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(" ")),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(" ")),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(" ")),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(" ")),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** The Bolt app: Socket Mode when an app token is configured, else the HTTP receiver on PORT. */
export function createApp(config: Config, logger: Logger): App {
  const clientOptions = config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {};
  const common = { token: config.slack.botToken, clientOptions, logger: boltLogger(logger) };
  if (config.slack.appToken) {
    return new App({ ...common, socketMode: true, appToken: config.slack.appToken, installerOptions: { clientOptions } });
  }
  return new App({ ...common, signingSecret: config.slack.signingSecret ?? "", port: config.port });
}
