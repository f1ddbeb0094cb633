import { parseArgs, type ParseArgsConfig } from "node:util";
import { isDnsLabel, parseServiceRef } from "./parse-target.js";
import { UsageError } from "./usage-error.js";

export type OutputFormat = "text" | "json";
export type FailOn = "critical" | "warning" | "never";

export interface SourceOptions {
  snapshot?: string;
  kubeconfig?: string;
  context?: string;
}

export interface DiagnoseCommand {
  command: "check" | "scan";
  source: SourceOptions;
  output: OutputFormat;
  now?: Date;
  failOn: FailOn;
  /** check: the target as typed; namespace undefined means default (live: the context's namespace). */
  target?: { service: string; namespace?: string };
  from?: { name: string; namespace?: string };
  /** scan: namespaces named with --namespace. */
  namespaces: string[];
}

export interface SnapshotCommand {
  command: "snapshot";
  source: SourceOptions;
  namespaces: string[];
  out: string;
}

export interface AuditCommand {
  command: "audit";
  since?: Date;
  output: OutputFormat;
}

export interface PreflightCommand {
  command: "preflight";
  source: Pick<SourceOptions, "kubeconfig" | "context">;
  output: OutputFormat;
}

export type Command = DiagnoseCommand | SnapshotCommand | AuditCommand | PreflightCommand | { command: "bot" | "worker" | "all" | "help" | "version" };

export const USAGE = `usage:
  mtls-doctor check <service>[.<namespace>[.svc.cluster.local]] [--namespace NS] [--from NAME[.NS]]
                    [--snapshot DIR | --kubeconfig FILE --context CTX] [--output text|json]
                    [--now RFC3339] [--fail-on critical|warning|never]
  mtls-doctor scan [--namespace NS ...] [same source/output options]
  mtls-doctor snapshot --namespace NS ... --out DIR [--kubeconfig FILE --context CTX]
  mtls-doctor bot | worker | all
  mtls-doctor audit [--since 24h|RFC3339] [--output text|json]   # fix decisions (REDIS_URL, QUEUE_PREFIX)
  mtls-doctor preflight [--kubeconfig FILE --context CTX] [--output text|json]   # what works, what is skipped, how to enable it
exit codes: 0 the diagnosis ran (preflight: everything required works); 1 findings reached --fail-on
(preflight: something required is missing); 2 bad usage or unreadable input`;

const COMMON = {
  snapshot: { type: "string" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  output: { type: "string", short: "o", default: "text" },
  now: { type: "string" },
  "fail-on": { type: "string", default: "never" },
  namespace: { type: "string", short: "n", multiple: true },
} as const;

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not "${value}"`);
}

function parseNow(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  // The calendar date must exist as written (Date would turn February 30 into March 2).
  const [, y, m, d] = match ?? [];
  const calendar = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  const exists = calendar.getUTCFullYear() === Number(y) && calendar.getUTCMonth() === Number(m) - 1 && calendar.getUTCDate() === Number(d);
  if (!match || !exists || Number.isNaN(date.getTime())) {
    throw new UsageError(`--now "${text}" is not an RFC 3339 time such as 2026-11-27T12:00:00Z`);
  }
  return date;
}

function sourceOptions(values: { snapshot?: string; kubeconfig?: string; context?: string }): SourceOptions {
  if (values.snapshot !== undefined && (values.kubeconfig !== undefined || values.context !== undefined)) {
    throw new UsageError("--snapshot reads a captured directory; it cannot be combined with --kubeconfig or --context");
  }
  const out: SourceOptions = {};
  if (values.snapshot !== undefined) out.snapshot = values.snapshot;
  if (values.kubeconfig !== undefined) out.kubeconfig = values.kubeconfig;
  if (values.context !== undefined) out.context = values.context;
  return out;
}

function checkNamespaces(list: string[]): string[] {
  for (const ns of list) if (!isDnsLabel(ns)) throw new UsageError(`--namespace "${ns}" is not a valid namespace name`);
  return list;
}

export function parseCommandLine(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return { command: "help" };
    case "version":
    case "--version":
      return { command: "version" };
    case "bot":
    case "worker":
    case "all":
      if (rest.length > 0) throw new UsageError(`${command} takes no arguments (configure it through the environment)`);
      return { command };
    case "check":
    case "scan":
      return parseDiagnose(command, rest);
    case "snapshot":
      return parseSnapshot(rest);
    case "audit":
      return parseAudit(rest);
    case "preflight":
      return parsePreflight(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function parse(args: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parseDiagnose(command: "check" | "scan", args: string[]): DiagnoseCommand {
  const { values, positionals } = parse(args, { ...COMMON, from: { type: "string" } });
  const v = values as Record<string, string | string[] | undefined>;
  const namespaces = checkNamespaces((v["namespace"] as string[] | undefined) ?? []);
  const result: DiagnoseCommand = {
    command,
    source: sourceOptions(v as SourceOptions),
    output: oneOf(String(v["output"]), ["text", "json"], "--output"),
    failOn: oneOf(String(v["fail-on"]), ["critical", "warning", "never"], "--fail-on"),
    namespaces,
  };
  const now = parseNow(v["now"] as string | undefined);
  if (now) result.now = now;
  if (command === "scan") {
    if (positionals.length > 0) throw new UsageError(`scan takes no positional arguments (got "${positionals.join(" ")}"): use --namespace`);
    if (v["from"] !== undefined) throw new UsageError("--from belongs to check, not scan");
    return result;
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "check needs a service: mtls-doctor check <service>[.<namespace>]" : `check takes one service, got ${positionals.length}: ${positionals.join(" ")}`);
  }
  if (namespaces.length > 1) throw new UsageError("check takes at most one --namespace");
  const target = parseServiceRef(positionals[0] ?? "", "service");
  const flagNs = namespaces[0];
  if (target.namespace !== undefined && flagNs !== undefined && target.namespace !== flagNs) {
    throw new UsageError(`service "${positionals[0]}" names namespace ${target.namespace} but --namespace says ${flagNs}`);
  }
  const ns = target.namespace ?? flagNs;
  result.target = ns === undefined ? { service: target.name } : { service: target.name, namespace: ns };
  if (v["from"] !== undefined) {
    const from = parseServiceRef(String(v["from"]), "--from");
    result.from = from.namespace === undefined ? { name: from.name } : { name: from.name, namespace: from.namespace };
  }
  return result;
}

function parseSnapshot(args: string[]): SnapshotCommand {
  const { values, positionals } = parse(args, {
    kubeconfig: { type: "string" },
    context: { type: "string" },
    namespace: { type: "string", short: "n", multiple: true },
    out: { type: "string" },
  });
  if (positionals.length > 0) throw new UsageError(`snapshot takes no positional arguments (got "${positionals.join(" ")}")`);
  const v = values as Record<string, string | string[] | undefined>;
  if (typeof v["out"] !== "string" || v["out"] === "") throw new UsageError("snapshot needs --out DIR");
  const namespaces = checkNamespaces((v["namespace"] as string[] | undefined) ?? []);
  if (namespaces.length === 0) throw new UsageError("snapshot needs at least one --namespace");
  return { command: "snapshot", source: sourceOptions(v as SourceOptions), namespaces, out: v["out"] };
}

/** `--since`: a duration back from now (`90m`, `24h`, `7d`) or an RFC 3339 time. */
export function parseSince(text: string, now = new Date()): Date {
  const duration = /^(\d+)([smhd])$/.exec(text);
  if (duration) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(duration[1]) * unit);
  }
  const date = parseNow(text);
  if (!date) throw new UsageError(`--since "${text}" is neither a duration like 24h nor an RFC 3339 time`);
  return date;
}

function parseAudit(args: string[]): AuditCommand {
  const { values, positionals } = parse(args, { since: { type: "string" }, output: { type: "string", short: "o", default: "text" } });
  if (positionals.length > 0) throw new UsageError(`audit takes no positional arguments (got "${positionals.join(" ")}")`);
  const v = values as Record<string, string | undefined>;
  const cmd: AuditCommand = { command: "audit", output: oneOf(String(v["output"]), ["text", "json"], "--output") };
  if (v["since"] !== undefined) {
    try {
      cmd.since = parseSince(v["since"]);
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`--since "${v["since"]}" is neither a duration like 24h nor an RFC 3339 time`);
      throw err;
    }
  }
  return cmd;
}

function parsePreflight(args: string[]): PreflightCommand {
  const { values, positionals } = parse(args, {
    kubeconfig: { type: "string" },
    context: { type: "string" },
    output: { type: "string", short: "o", default: "text" },
  });
  if (positionals.length > 0) throw new UsageError(`preflight takes no positional arguments (got "${positionals.join(" ")}")`);
  const v = values as Record<string, string | undefined>;
  return { command: "preflight", source: sourceOptions(v), output: oneOf(String(v["output"]), ["text", "json"], "--output") };
}
