import { UsageError } from "./usage-error.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (RFC 1123 label, at most 63 characters). */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

export interface NameRef {
  name: string;
  namespace?: string;
}

/**
 * `svc`, `svc.ns`, or `svc.ns.svc.cluster.local` (`svc.ns.svc` too). Throws a UsageError naming the
 * part that is not a valid Kubernetes name.
 */
export function parseServiceRef(text: string, what: string): NameRef {
  const parts = text.trim().toLowerCase().split(".");
  const [first, namespace] = parts;
  let name = first;
  const rest = parts.slice(2).join(".");
  if (parts.length > 2 && rest !== "svc" && rest !== "svc.cluster.local") {
    throw new UsageError(`${what} "${text}" is not <name>, <name>.<namespace> or <name>.<namespace>.svc.cluster.local`);
  }
  name = name ?? "";
  if (!isDnsLabel(name)) throw new UsageError(`${what} "${text}": "${name}" is not a valid Kubernetes name (lower-case letters, digits and '-', at most 63)`);
  if (namespace !== undefined && !isDnsLabel(namespace)) {
    throw new UsageError(`${what} "${text}": "${namespace}" is not a valid namespace name`);
  }
  return namespace === undefined ? { name } : { name, namespace };
}
