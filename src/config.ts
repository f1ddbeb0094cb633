// The process configuration: read from the environment once, validated, and never logged with its
// secrets (see redactedConfig).

import { scrubSecrets } from "./logger.js";

export type Role = "bot" | "worker" | "all";
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface RedisConfig {
  url?: string;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
}

export interface Config {
  slack: {
    botToken: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
  };
  port: number;
  redis: RedisConfig;
  queuePrefix: string;
  clusterName: string;
  kubeconfig?: string;
  incidentChannel?: string;
  approverUserIds: string[];
  approverUsergroupIds: string[];
  reactions: { approve: string; reject: string; rollback: string };
  fixesEnabled: boolean;
  /** Whether the person who asked for a check may approve its fixes (default: no, a second person must). */
  allowSelfApproval: boolean;
  allowedChannelIds: string[];
  logLevel: LogLevel;
  metricsPort: number;
  /** Scheduled scans and policy watches; they feed the incident channel, so they run only with INCIDENT_CHANNEL. */
  scans: {
    /** 0: no scheduled scans. */
    intervalMinutes: number;
    /** Empty: every namespace but Kubernetes' own. */
    namespaces: string[];
    /** Scan a namespace right after its PeerAuthentications, DestinationRules or AuthorizationPolicies change. */
    watchPolicies: boolean;
  };
  /** Certificates expiring within this window are reported (MTLS402). */
  certificateWarningMinutes: number;
}

/** Configuration that cannot start the process: one line per problem, no secret values in them. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: string[];
  constructor(problems: string[]) {
    // A value quoted back may be a secret put in the wrong variable: tokens and URL credentials are cut.
    const safe = problems.map((p) => scrubSecrets(p.replace(/[\r\n]+/g, " ")));
    super(`invalid configuration:\n${safe.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = safe;
  }
}

const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Parses and validates the environment for a role. Throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv, role: Role): Config {
  const problems: string[] = [];
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const port = (name: string, fallback: number) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) problems.push(`${name} must be a port number (1-65535), got "${raw}"`);
    return n;
  };
  const ids = (name: string, pattern: RegExp, example: string) => {
    const values = list(get(name));
    for (const v of values) if (!pattern.test(v)) problems.push(`${name}: "${v}" is not a Slack ID like ${example}`);
    return values;
  };
  const emoji = (name: string, fallback: string) => {
    const v = (get(name) ?? fallback).replace(/^:|:$/g, "");
    if (!/^[a-z0-9_+'-]+$/.test(v)) problems.push(`${name}: "${v}" is not an emoji name (like white_check_mark)`);
    return v;
  };

  const botToken = get("SLACK_BOT_TOKEN");
  const signingSecret = get("SLACK_SIGNING_SECRET");
  const appToken = get("SLACK_APP_TOKEN");
  if (!botToken) problems.push("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)");
  else if (!botToken.startsWith("xoxb-")) problems.push("SLACK_BOT_TOKEN does not look like a bot token (it should start with xoxb-)");
  if (role !== "worker") {
    if (appToken !== undefined && !appToken.startsWith("xapp-")) problems.push("SLACK_APP_TOKEN does not look like an app-level token (it should start with xapp-)");
    if (appToken === undefined && signingSecret === undefined) {
      problems.push("SLACK_SIGNING_SECRET is not set: HTTP mode needs it (or set SLACK_APP_TOKEN for Socket Mode)");
    }
  }
  const apiUrl = get("SLACK_API_URL");
  if (apiUrl !== undefined && !/^https?:\/\//.test(apiUrl)) problems.push(`SLACK_API_URL must be an http(s) URL, got "${apiUrl}"`);

  const redis: RedisConfig = {};
  const redisUrl = get("REDIS_URL");
  const sentinels = list(get("REDIS_SENTINELS"));
  if (sentinels.length > 0) {
    redis.sentinels = sentinels.map((s) => {
      const [host = "", p = "26379"] = s.split(":");
      const n = Number(p);
      if (host === "" || !Number.isInteger(n)) problems.push(`REDIS_SENTINELS: "${s}" is not host:port`);
      return { host, port: n };
    });
    const name = get("REDIS_SENTINEL_NAME");
    if (!name) problems.push("REDIS_SENTINEL_NAME is not set: Redis Sentinel needs the master's name");
    else redis.sentinelName = name;
  } else if (redisUrl !== undefined) {
    if (!/^rediss?:\/\//.test(redisUrl)) problems.push("REDIS_URL must start with redis:// or rediss://");
    redis.url = redisUrl;
  } else {
    redis.url = "redis://127.0.0.1:6379";
  }

  const queuePrefix = get("QUEUE_PREFIX") ?? "mtls";
  if (queuePrefix.includes(":") || /\s/.test(queuePrefix)) problems.push(`QUEUE_PREFIX "${queuePrefix}" may not contain ':' or spaces`);
  const clusterName = get("CLUSTER_NAME") ?? "default";
  if (!DNS_LABEL.test(clusterName) || clusterName.length > 63) {
    problems.push(`CLUSTER_NAME "${clusterName}" must be a lower-case name (letters, digits, '-'), at most 63 characters`);
  }
  const incidentChannel = get("INCIDENT_CHANNEL");
  if (incidentChannel !== undefined && !/^[CG][A-Z0-9]{6,}$/.test(incidentChannel)) {
    problems.push(`INCIDENT_CHANNEL "${incidentChannel}" is not a channel ID like C0123456789 (use the ID, not the name)`);
  }
  const fixesRaw = (get("FIXES_ENABLED") ?? "true").toLowerCase();
  if (!["true", "false", "1", "0", "yes", "no"].includes(fixesRaw)) problems.push(`FIXES_ENABLED must be true or false, got "${fixesRaw}"`);
  const minutes = (name: string, fallback: number, allowZero: boolean) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
      problems.push(`${name} must be a number of minutes${allowZero ? " (0 turns it off)" : " above 0"}, got "${raw}"`);
    }
    return n;
  };
  const scanNamespaces = list(get("SCAN_NAMESPACES"));
  for (const ns of scanNamespaces) if (!DNS_LABEL.test(ns)) problems.push(`SCAN_NAMESPACES: "${ns}" is not a namespace name`);
  const watchRaw = (get("WATCH_POLICIES") ?? "true").toLowerCase();
  if (!["true", "false", "1", "0", "yes", "no"].includes(watchRaw)) problems.push(`WATCH_POLICIES must be true or false, got "${watchRaw}"`);
  const logLevel = (get("LOG_LEVEL") ?? "info").toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);

  const config: Config = {
    slack: { botToken: botToken ?? "" },
    port: port("PORT", 3000),
    redis,
    queuePrefix,
    clusterName,
    approverUserIds: ids("APPROVER_USER_IDS", /^[UW][A-Z0-9]{2,}$/, "U0123456789"),
    approverUsergroupIds: ids("APPROVER_USERGROUP_IDS", /^S[A-Z0-9]{2,}$/, "S0123456789"),
    reactions: {
      approve: emoji("APPROVE_REACTION", "white_check_mark"),
      reject: emoji("REJECT_REACTION", "x"),
      rollback: emoji("ROLLBACK_REACTION", "rewind"),
    },
    fixesEnabled: ["true", "1", "yes"].includes(fixesRaw),
    allowSelfApproval: ["true", "1", "yes"].includes((get("ALLOW_SELF_APPROVAL") ?? "false").toLowerCase()),
    allowedChannelIds: ids("ALLOWED_CHANNEL_IDS", /^[CGD][A-Z0-9]{2,}$/, "C0123456789"),
    logLevel,
    metricsPort: port("METRICS_PORT", 9464),
    scans: {
      intervalMinutes: minutes("SCAN_INTERVAL_MINUTES", 15, true),
      namespaces: scanNamespaces,
      watchPolicies: ["true", "1", "yes"].includes(watchRaw),
    },
    certificateWarningMinutes: minutes("CERT_WARNING_MINUTES", 60, false),
  };
  if (signingSecret !== undefined) config.slack.signingSecret = signingSecret;
  if (appToken !== undefined) config.slack.appToken = appToken;
  if (apiUrl !== undefined) config.slack.apiUrl = apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/`;
  const kubeconfig = get("KUBECONFIG");
  if (kubeconfig !== undefined) config.kubeconfig = kubeconfig;
  if (incidentChannel !== undefined) config.incidentChannel = incidentChannel;
  const { approve, reject, rollback } = config.reactions;
  if (new Set([approve, reject, rollback]).size < 3) problems.push("APPROVE_REACTION, REJECT_REACTION and ROLLBACK_REACTION must differ");
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The configuration as it may be logged: secrets replaced, URLs stripped of credentials. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const url = config.redis.url?.replace(/\/\/[^@/]*@/, "//[redacted]@");
  return {
    ...config,
    slack: {
      botToken: "[redacted]",
      signingSecret: config.slack.signingSecret ? "[redacted]" : undefined,
      appToken: config.slack.appToken ? "[redacted]" : undefined,
      apiUrl: config.slack.apiUrl,
    },
    redis: { ...config.redis, url },
  };
}
