#!/usr/bin/env node
import { runCli } from "./cli/run-cli.js";

// The Slack, queue and cluster modules load only for the commands that use them: `check --snapshot`
// stays fast.
const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  {
    serve: async (role) => (await import("./serve.js")).serve(role, { env: process.env }),
    snapshot: async (cmd, io) => (await import("./cli/run-snapshot.js")).runSnapshot(cmd, io),
    audit: async (cmd, io) => (await import("./cli/run-audit.js")).runAudit(cmd, io),
    preflight: async (cmd, io) => (await import("./cli/run-preflight.js")).runPreflightCommand(cmd, io),
  },
);
process.exitCode = code;
