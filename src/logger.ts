import { LogLevel, type Logger as SlackLogger } from "@slack/web-api";
import { pino, type Logger } from "pino";

/** Paths pino replaces with [redacted] wherever they appear in a log line. */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "botToken",
  "*.botToken",
  "appToken",
  "*.appToken",
  "signingSecret",
  "*.signingSecret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "password",
  "*.password",
  "response_url",
  "*.response_url",
];

const SECRET_PATTERN = /\b(xox[abpres]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)/g;
/** Credentials in a URL (`redis://:password@host`). */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
/** How deep a logged object is searched for secrets; deeper values are dropped, never logged unread. */
const MAX_DEPTH = 8;

/** Strips Slack tokens and URL credentials from free text (error messages can quote a request). */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_PATTERN, "[redacted]").replace(URL_CREDENTIALS, "$1[redacted]@");
}

/** A copy of a value with every string scrubbed of secrets (cycles and excess depth cut). */
function scrubValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return serializeError(value);
  if (seen.has(value) || depth >= MAX_DEPTH) return "[…]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, seen));
  if (Buffer.isBuffer(value) || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = scrubValue(v, depth + 1, seen);
  return out;
}

/**
 * What a log line shows of an error: its type, message, stack and the codes that identify it (a Slack
 * API error's `data.error`, a system error's `code`), scrubbed. Anything else logged as `err` (a
 * string, a plain object) is scrubbed as it is.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return scrubValue(err, 0, new WeakSet());
  const extra = err as Error & { code?: unknown; data?: { error?: unknown } };
  return {
    type: err.name,
    message: scrubSecrets(err.message),
    ...(typeof extra.code === "string" || typeof extra.code === "number" ? { code: extra.code } : {}),
    ...(typeof extra.data?.error === "string" ? { slackError: extra.data.error } : {}),
    ...(err.stack ? { stack: scrubSecrets(err.stack) } : {}),
  };
}

/** The one logger: structured JSON on stdout, secrets redacted by path and by pattern. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { app: "mtls-doctor" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubValue(object, 0, new WeakSet()) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" ? scrubSecrets(a) : a)) as Parameters<typeof method>);
        },
      },
      serializers: { err: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout,
  );
}

/** The Slack clients' logger (Bolt, WebClient, Socket Mode) writing through ours, so that their lines are JSON and scrubbed too. */
export function slackLogger(logger: Logger, component: string): SlackLogger {
  const child = logger.child({ component });
  const line = (msg: unknown[]) => msg.map(String).join(" ");
  return {
    debug: (...msg: unknown[]) => child.debug(line(msg)),
    info: (...msg: unknown[]) => child.info(line(msg)),
    warn: (...msg: unknown[]) => child.warn(line(msg)),
    error: (...msg: unknown[]) => child.error(line(msg)),
    setLevel: () => undefined,
    getLevel: () => (child.isLevelEnabled("debug") ? LogLevel.DEBUG : child.isLevelEnabled("info") ? LogLevel.INFO : child.isLevelEnabled("warn") ? LogLevel.WARN : LogLevel.ERROR),
    setName: () => undefined,
  };
}

export type { Logger };
