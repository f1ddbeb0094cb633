import { arrayAt, field, isObject, objectAt, parseConfigDump, stringAt, type JsonObject } from "./config-dump.js";
import { classifySocket } from "./transport-socket.js";

/**
 * What an inbound filter chain accepts: `mtls` TLS with a required client certificate, `tls` TLS
 * terminated without requiring one, `tls-passthrough` TLS handed to the application untouched,
 * `plaintext` anything without TLS, `other` a transport socket this code does not recognise.
 */
export type ChainSecurity = "mtls" | "tls" | "tls-passthrough" | "plaintext" | "other";

export interface InboundChain {
  listener: string;
  /** The chain's name (`0.0.0.0_8080`), where Envoy has one. */
  name?: string;
  security: ChainSecurity;
  /** How the chain was selected: its destination port, a catch-all chain, a per-port listener, or the listener's default chain. */
  matchedBy: "port" | "catch-all" | "listener" | "default";
}

export interface InboundPortTls {
  chains: InboundChain[];
  /** Some chain requires a client certificate (mutual TLS is possible). */
  requiresClientCertificate: boolean;
  /** Some chain accepts plaintext (PERMISSIVE or DISABLE shape). */
  acceptsPlaintext: boolean;
}

const VIRTUAL_INBOUND = "virtualInbound";

/**
 * The server proxy's inbound filter chains for a container port: chains of the `virtualInbound`
 * listener whose `filter_chain_match.destination_port` is the port (else its catch-all chains, as
 * Envoy falls back to them), chains a `filter_chain_matcher` maps the port to, and every chain of a
 * per-port inbound listener (Istio before 1.5: `inbound|<port>||` or an INBOUND listener on the port).
 * No chains means the dump does not tell (no listener section, or no inbound listener for the port).
 */
export function inboundListenerTls(dump: unknown, port: number): InboundPortTls {
  const chains: InboundChain[] = [];
  for (const listener of parseConfigDump(dump).listeners) {
    const name = stringAt(listener, "name") ?? "";
    if (name === VIRTUAL_INBOUND) chains.push(...virtualInboundChains(listener, name, port));
    else if (isPerPortInbound(listener, name, port)) chains.push(...perPortChains(listener, name));
  }
  return {
    chains,
    requiresClientCertificate: chains.some((c) => c.security === "mtls"),
    acceptsPlaintext: chains.some((c) => c.security === "plaintext"),
  };
}

function isPerPortInbound(listener: JsonObject, name: string, port: number): boolean {
  const legacyName = /^inbound\|(\d+)\|/.exec(name);
  if (legacyName) return Number(legacyName[1]) === port;
  return stringAt(listener, "traffic_direction") === "INBOUND" && listenerPort(listener) === port;
}

function listenerPort(listener: JsonObject): number | undefined {
  const value = field(objectAt(listener, "address", "socket_address"), "port_value");
  return typeof value === "number" ? value : undefined;
}

function virtualInboundChains(listener: JsonObject, listenerName: string, port: number): InboundChain[] {
  const all = arrayAt(listener, "filter_chains").filter(isObject);
  const matcher = objectAt(listener, "filter_chain_matcher");
  if (matcher) {
    const names = new Set(chainNamesForPort(matcher, port));
    if (names.size > 0) {
      return all
        .filter((c) => names.has(stringAt(c, "name") ?? ""))
        .map((c) => describeChain(c, listenerName, "port"));
    }
  }
  const byPort = all.filter((c) => destinationPort(c) === port);
  if (byPort.length > 0) return byPort.map((c) => describeChain(c, listenerName, "port"));
  const catchAll = all.filter((c) => destinationPort(c) === undefined);
  if (catchAll.length > 0) return catchAll.map((c) => describeChain(c, listenerName, "catch-all"));
  const fallback = objectAt(listener, "default_filter_chain");
  return fallback ? [describeChain(fallback, listenerName, "default")] : [];
}

function perPortChains(listener: JsonObject, listenerName: string): InboundChain[] {
  return arrayAt(listener, "filter_chains")
    .filter(isObject)
    .map((c) => describeChain(c, listenerName, "listener"));
}

function destinationPort(chain: JsonObject): number | undefined {
  const value = field(objectAt(chain, "filter_chain_match"), "destination_port");
  // A UInt32Value is a bare number in JSON; tolerate `{ value: n }` from hand-written dumps.
  if (typeof value === "number") return value;
  if (isObject(value) && typeof value["value"] === "number") return value["value"];
  return undefined;
}

function describeChain(chain: JsonObject, listener: string, matchedBy: InboundChain["matchedBy"]): InboundChain {
  const socket = objectAt(chain, "transport_socket");
  let security: ChainSecurity;
  if (socket) {
    const cls = classifySocket(socket, "downstream");
    security = cls.security === "none" ? "plaintext" : cls.security;
  } else {
    security = stringAt(chain, "filter_chain_match", "transport_protocol") === "tls" ? "tls-passthrough" : "plaintext";
  }
  const result: InboundChain = { listener, security, matchedBy };
  const name = stringAt(chain, "name");
  if (name !== undefined) result.name = name;
  return result;
}

/**
 * Chain names a matcher tree (`xds.type.matcher.v3.Matcher`) selects for a destination port: the
 * actions under the port's entry of any `DestinationPortInput` exact-match map.
 */
function chainNamesForPort(matcher: JsonObject, port: number): string[] {
  const names: string[] = [];
  const visit = (node: unknown, underPort: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, underPort);
      return;
    }
    if (!isObject(node)) return;
    const tree = objectAt(node, "matcher_tree");
    if (tree) {
      const inputType = stringAt(tree, "input", "typed_config", "@type") ?? "";
      const map = objectAt(tree, "exact_match_map", "map");
      if (inputType.endsWith(".DestinationPortInput") && map) {
        visit(map[String(port)], true);
        return;
      }
    }
    if (underPort) {
      const action = objectAt(node, "action");
      const name = stringAt(action, "name") ?? stringAt(action, "typed_config", "value");
      if (name !== undefined) names.push(name);
    }
    for (const value of Object.values(node)) visit(value, underPort);
  };
  visit(matcher, false);
  return names;
}
