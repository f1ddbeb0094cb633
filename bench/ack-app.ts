// One app under test for bench/ack.ts, alone in its own process so that the load generator, the fake
// Slack and Redis do not share its event loop: `bare` (a Bolt App whose /mtls only acks) or `bot`
// (`mtls-doctor bot` as serve() wires it). Tells the parent its port over IPC, stops on "stop".
import { App, LogLevel } from "@slack/bolt";
import { serve } from "../src/serve.js";

const variant = process.argv[2];
const port = Number(process.env["PORT"]);

function send(message: { ready: number }): void {
  process.send?.(message);
}

const stopped = new Promise<void>((resolve) => process.on("message", (m) => m === "stop" && resolve()));

if (variant === "bare") {
  const app = new App({
    token: process.env["SLACK_BOT_TOKEN"] ?? "",
    signingSecret: process.env["SLACK_SIGNING_SECRET"] ?? "",
    port,
    logLevel: LogLevel.INFO,
    clientOptions: { slackApiUrl: process.env["SLACK_API_URL"] ?? "" },
  });
  app.command("/mtls", async ({ ack }) => {
    await ack();
  });
  await app.start();
  send({ ready: port });
  await stopped;
  await app.stop();
  process.exit(0);
} else if (variant === "bot") {
  const code = await serve("bot", { env: process.env, stopSignal: stopped, onReady: () => send({ ready: port }) });
  process.exit(code);
} else {
  process.stderr.write(`usage: ack-app.ts bare|bot\n`);
  process.exit(2);
}
