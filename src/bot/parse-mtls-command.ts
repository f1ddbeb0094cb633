import { isDnsLabel, parseServiceRef } from "../cli/parse-target.js";
import { UsageError } from "../cli/usage-error.js";

export type MtlsCommand =
  | { kind: "check"; service: string; namespace: string; from?: { name: string; namespace: string }; cluster?: string }
  | { kind: "scan"; namespace?: string; cluster?: string }
  | { kind: "clusters" }
  | { kind: "help" };

const MAX_TEXT = 500;
/** The longest word a command may hold: `<63>.<63>.svc.cluster.local` and a little more. */
const MAX_WORD = 150;
/** How much of a word that is not understood is quoted back. */
const QUOTED_CHARS = 30;

function quoted(word: string): string {
  return `"${word.length > QUOTED_CHARS ? `${word.slice(0, QUOTED_CHARS)}…` : word}"`;
}

/**
 * `/mtls check <svc>[.<ns>] [from <workload>[.<ns>]] [cluster <name>]`, `/mtls scan [<ns>] [cluster <name>]`,
 * `/mtls clusters`, `/mtls help`. Names are validated against Kubernetes' rules before anything else;
 * anything else is a UsageError whose message says what was wrong.
 */
export function parseMtlsCommand(text: string): MtlsCommand {
  if (text.length > MAX_TEXT) throw new UsageError(`that is ${text.length} characters; a command is much shorter`);
  const words = text.trim().split(/\s+/).filter((w) => w !== "");
  const long = words.find((w) => w.length > MAX_WORD);
  if (long !== undefined) throw new UsageError(`${quoted(long)} is ${long.length} characters long; Kubernetes names have at most 63`);
  const [verb, ...rest] = words;
  switch ((verb ?? "help").toLowerCase()) {
    case "help":
      if (rest.length > 0) throw new UsageError("`help` takes no arguments");
      return { kind: "help" };
    case "clusters":
      if (rest.length > 0) throw new UsageError("`clusters` takes no arguments");
      return { kind: "clusters" };
    case "check":
      return parseCheck(rest);
    case "scan":
      return parseScan(rest);
    default:
      throw new UsageError(`unknown command ${quoted(verb ?? "")}: use check, scan, clusters or help`);
  }
}

function takeCluster(words: string[]): { rest: string[]; cluster?: string } {
  const i = words.findIndex((w) => w.toLowerCase() === "cluster");
  if (i < 0) return { rest: words };
  const name = words[i + 1];
  if (name === undefined) throw new UsageError("`cluster` needs a name");
  if (!isDnsLabel(name.toLowerCase())) throw new UsageError(`"${name}" is not a valid cluster name`);
  return { rest: [...words.slice(0, i), ...words.slice(i + 2)], cluster: name.toLowerCase() };
}

function parseCheck(words: string[]): MtlsCommand {
  const { rest, cluster } = takeCluster(words);
  const [target, ...more] = rest;
  if (target === undefined) throw new UsageError("`check` needs a service, e.g. `/mtls check service-b.default`");
  const service = parseServiceRef(target, "service");
  const namespace = service.namespace ?? "default";
  const command: Extract<MtlsCommand, { kind: "check" }> = { kind: "check", service: service.name, namespace };
  if (more.length > 0) {
    if (more[0]?.toLowerCase() !== "from" || more.length !== 2) {
      throw new UsageError(`unexpected \`${more.join(" ")}\`: after the service only \`from <workload>[.<ns>]\` and \`cluster <name>\` may follow`);
    }
    const from = parseServiceRef(more[1] ?? "", "from");
    command.from = { name: from.name, namespace: from.namespace ?? namespace };
  }
  if (cluster !== undefined) command.cluster = cluster;
  return command;
}

function parseScan(words: string[]): MtlsCommand {
  const { rest, cluster } = takeCluster(words);
  if (rest.length > 1) throw new UsageError("`scan` takes at most one namespace");
  const command: Extract<MtlsCommand, { kind: "scan" }> = { kind: "scan" };
  const ns = rest[0]?.toLowerCase();
  if (ns !== undefined) {
    if (!isDnsLabel(ns)) throw new UsageError(`"${rest[0]}" is not a valid namespace name`);
    command.namespace = ns;
  }
  if (cluster !== undefined) command.cluster = cluster;
  return command;
}
