import { arrayAt, field, isObject, objectAt, stringAt, type JsonObject } from "./config-dump.js";

/**
 * What a transport socket does: `mtls` TLS with a certificate of our own (upstream: a client
 * certificate is sent; downstream: a client certificate is required), `tls` TLS without that, `none`
 * plaintext, `other` a socket this code does not know (never reported as plaintext).
 */
export type SocketSecurity = "mtls" | "tls" | "none" | "other";

export interface SocketClass {
  security: SocketSecurity;
  /** The TLS context uses Istio's SDS secrets (`default` certificate, `ROOTCA` roots): Istio mutual TLS. */
  istioCertificates: boolean;
}

const PLAINTEXT_SOCKETS = new Set(["envoy.transport_sockets.raw_buffer", "raw_buffer"]);
const TLS_SOCKETS = new Set(["envoy.transport_sockets.tls", "tls"]);

/** Classifies an Envoy `transport_socket` (either direction); undefined means plaintext. */
export function classifySocket(socket: unknown, direction: "upstream" | "downstream"): SocketClass {
  if (!isObject(socket)) return { security: "none", istioCertificates: false };
  const name = stringAt(socket, "name") ?? "";
  const config = objectAt(socket, "typed_config");
  const type = typeof config?.["@type"] === "string" ? (config["@type"] as string) : "";
  if (TLS_SOCKETS.has(name) || type.endsWith("TlsContext")) return classifyTls(config, direction);
  if (PLAINTEXT_SOCKETS.has(name) || type.endsWith(".RawBuffer")) return { security: "none", istioCertificates: false };
  // Wrappers (internal_upstream, upstream_proxy_protocol, tap, ...) carry the real socket inside.
  const inner = objectAt(config, "transport_socket");
  if (inner) return classifySocket(inner, direction);
  return { security: "other", istioCertificates: false };
}

function classifyTls(context: JsonObject | undefined, direction: "upstream" | "downstream"): SocketClass {
  const common = objectAt(context, "common_tls_context");
  const sdsNames = arrayAt(common, "tls_certificate_sds_secret_configs").map((c) => stringAt(c, "name"));
  const hasCertificate =
    sdsNames.length > 0 ||
    arrayAt(common, "tls_certificates").length > 0 ||
    objectAt(common, "tls_certificate_provider_instance") !== undefined ||
    objectAt(common, "tls_certificate_certificate_provider_instance") !== undefined;
  const rootsName =
    stringAt(common, "combined_validation_context", "validation_context_sds_secret_config", "name") ??
    stringAt(common, "validation_context_sds_secret_config", "name");
  const istioCertificates = sdsNames.includes("default") && rootsName === "ROOTCA";
  if (direction === "upstream") return { security: hasCertificate ? "mtls" : "tls", istioCertificates };
  const required = field(context, "require_client_certificate");
  const requiresClientCertificate = required === true || (isObject(required) && required["value"] === true);
  return { security: requiresClientCertificate ? "mtls" : "tls", istioCertificates };
}
