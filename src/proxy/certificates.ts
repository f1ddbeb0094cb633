import { X509Certificate } from "node:crypto";
import { arrayAt, isObject, objectAt, parseConfigDump, stringAt, type DumpSecret, type JsonObject } from "./config-dump.js";

/** Istio's names for the workload certificate and the trusted roots in SDS. */
export const WORKLOAD_SECRET = "default";
export const ROOT_SECRET = "ROOTCA";

const SPIFFE_VALIDATOR_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig";
const SPIFFE_VALIDATOR_NAME = "envoy.tls.cert_validator.spiffe";

export type CertificateType = "Cert Chain" | "CA";

/** One row of the report's `proxies[].certificates[]`: what `istioctl proxy-config secret` shows. */
export interface CertificateRow {
  name: string;
  type: CertificateType;
  /** Lowercase hex, at least 32 digits, as istioctl prints it (`%032x` of the serial number). */
  serial: string;
  /** RFC 3339 in UTC, `2023-05-15T01:30:52Z`. */
  notBefore: string;
  notAfter: string;
  /** notBefore < now < notAfter. */
  valid: boolean;
  uriSans: string[];
  /** From the SPIFFE validator's trust domain, else the certificate's `spiffe://` URI SAN; null if neither. */
  trustDomain: string | null;
}

export type SecretRowState = "ACTIVE" | "WARMING" | "UNINITIALIZED";

/** One row of `istioctl proxy-config secret`, certificate-less secrets included. */
export interface SecretRow {
  name: string;
  state: SecretRowState;
  /** Absent for a secret without certificate data (a warming secret, a key-only secret). */
  certificate?: CertificateRow;
}

/** The certificates of one SDS secret, parsed once. */
interface SecretCertificates {
  name: string;
  state: SecretRowState;
  /** One bundle per trust domain for a SPIFFE validator, else a single one. */
  bundles: { trustDomain: string | null; certs: X509Certificate[] }[];
}

/** A proxy's workload chain (leaf first) and the roots it trusts. */
export interface ProxyTrust {
  /** The `default` secret's chain, leaf first; empty when the proxy has none. */
  chain: X509Certificate[];
  /** Every certificate of `ROOTCA`, across trust domains. */
  roots: X509Certificate[];
  /** Trust domains of the roots, where the dump says (SPIFFE validator). */
  rootTrustDomains: string[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Certificates in an Envoy DataSource (`inline_bytes` base64, or `inline_string`). Files are not in a dump. */
function certificatesIn(source: JsonObject | undefined): X509Certificate[] {
  if (!source) return [];
  const base64 = stringAt(source, "inline_bytes");
  const text = base64 !== undefined ? Buffer.from(base64, "base64").toString("latin1") : stringAt(source, "inline_string");
  if (text === undefined || text === "") return [];
  const blocks = text.match(PEM_CERTIFICATE);
  const certs: X509Certificate[] = [];
  if (blocks) {
    for (const block of blocks) {
      const cert = tryParse(block);
      if (cert) certs.push(cert);
    }
  } else if (base64 !== undefined) {
    // Not PEM: a single DER certificate is the only other encoding Envoy accepts here.
    const cert = tryParse(Buffer.from(base64, "base64"));
    if (cert) certs.push(cert);
  }
  return certs;
}

function tryParse(data: string | Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(data);
  } catch {
    return undefined;
  }
}

function secretCertificates(item: DumpSecret): SecretCertificates {
  const state: SecretRowState = item.state === "ACTIVE" && item.versionInfo === "uninitialized" ? "UNINITIALIZED" : item.state;
  const result: SecretCertificates = { name: item.name, state, bundles: [] };
  const secret = item.secret;
  const chain = certificatesIn(objectAt(secret, "tls_certificate", "certificate_chain"));
  if (chain.length > 0) {
    result.bundles.push({ trustDomain: null, certs: chain });
    return result;
  }
  const validation = objectAt(secret, "validation_context");
  const trusted = certificatesIn(objectAt(validation, "trusted_ca"));
  if (trusted.length > 0) {
    result.bundles.push({ trustDomain: null, certs: trusted });
    return result;
  }
  const custom = objectAt(validation, "custom_validator_config");
  const validator = objectAt(custom, "typed_config");
  if (validator && (validator["@type"] === SPIFFE_VALIDATOR_TYPE || stringAt(custom, "name") === SPIFFE_VALIDATOR_NAME)) {
    for (const domain of arrayAt(validator, "trust_domains")) {
      if (!isObject(domain)) continue;
      result.bundles.push({
        trustDomain: stringAt(domain, "name") ?? null,
        certs: certificatesIn(objectAt(domain, "trust_bundle")),
      });
    }
  }
  return result;
}

const parsedTrust = new WeakMap<object, SecretCertificates[]>();

/** Every secret's certificates, parsed once per dump. */
function allSecretCertificates(dump: unknown): SecretCertificates[] {
  if (!isObject(dump)) return [];
  let result = parsedTrust.get(dump);
  if (!result) {
    result = parseConfigDump(dump).secrets.map(secretCertificates);
    parsedTrust.set(dump, result);
  }
  return result;
}

/**
 * The secret table `istioctl proxy-config secret` prints, in its order (warming secrets first). Like
 * istioctl, a row describes the first certificate of its chain or bundle, and a SPIFFE validator
 * yields one `ROOTCA` row per trust domain.
 */
export function secretTable(dump: unknown, now: Date): SecretRow[] {
  const rows: SecretRow[] = [];
  for (const secret of allSecretCertificates(dump)) {
    if (secret.bundles.length === 0) {
      rows.push({ name: secret.name, state: secret.state });
      continue;
    }
    for (const bundle of secret.bundles) {
      const first = bundle.certs[0];
      const row: SecretRow = { name: secret.name, state: secret.state };
      if (first) row.certificate = certificateRow(secret.name, first, bundle.trustDomain, now);
      rows.push(row);
    }
  }
  return rows;
}

/** The report's `proxies[].certificates[]` for one proxy: every secret row that holds a certificate. */
export function certificateTable(dump: unknown, now: Date): CertificateRow[] {
  return secretTable(dump, now).flatMap((row) => (row.certificate ? [row.certificate] : []));
}

export function certificateRow(name: string, cert: X509Certificate, trustDomain: string | null, now: Date): CertificateRow {
  const notBefore = certificateDate(cert.validFrom);
  const notAfter = certificateDate(cert.validTo);
  const uriSans = uriSubjectAltNames(cert);
  return {
    name,
    type: cert.ca ? "CA" : "Cert Chain",
    serial: istioctlSerial(cert.serialNumber),
    notBefore: notBefore.toISOString().replace(/\.\d{3}Z$/, "Z"),
    notAfter: notAfter.toISOString().replace(/\.\d{3}Z$/, "Z"),
    valid: now.getTime() > notBefore.getTime() && now.getTime() < notAfter.getTime(),
    uriSans,
    trustDomain: trustDomain ?? spiffeTrustDomain(uriSans),
  };
}

/** istioctl prints serials with Go's `%032x`: lowercase, zero-padded to 32 digits, longer ones in full. */
export function istioctlSerial(nodeSerial: string): string {
  const hex = nodeSerial.replace(/[^0-9a-fA-F]/g, "");
  if (hex === "") return "0".repeat(32);
  return BigInt(`0x${hex}`).toString(16).padStart(32, "0");
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/** Node 20 gives validity as OpenSSL prints it (`May  5 03:41:33 2023 GMT`); Date.parse of that is not portable. */
export function certificateDate(text: string): Date {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4,}) GMT$/.exec(text.trim());
  const month = m ? MONTHS[m[1] ?? ""] : undefined;
  if (!m || month === undefined) return new Date(text);
  return new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
}

/** URI SANs. Node quotes a SAN that contains a comma (`URI:"a, b"`), so a plain split would cut it. */
export function uriSubjectAltNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (!text) return [];
  const uris: string[] = [];
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const m of text.matchAll(entry)) {
    if (m[1] !== "URI") continue;
    const raw = m[2] ?? "";
    uris.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return uris;
}

/** The trust domain of the last `spiffe://` URI, as istioctl takes it. */
export function spiffeTrustDomain(uris: readonly string[]): string | null {
  let domain: string | null = null;
  for (const uri of uris) {
    const m = /^spiffe:\/\/([^/]+)/i.exec(uri);
    if (m?.[1]) domain = m[1];
  }
  return domain;
}

/** The proxy's workload chain and trusted roots, for verification. */
export function proxyTrust(dump: unknown): ProxyTrust {
  const secrets = allSecretCertificates(dump);
  const workload = secrets.find((s) => s.name === WORKLOAD_SECRET && s.state !== "WARMING");
  const root = secrets.find((s) => s.name === ROOT_SECRET && s.state !== "WARMING");
  return {
    chain: workload?.bundles[0]?.certs ?? [],
    roots: root?.bundles.flatMap((b) => b.certs) ?? [],
    rootTrustDomains: (root?.bundles ?? []).flatMap((b) => (b.trustDomain === null ? [] : [b.trustDomain])),
  };
}

export type ChainVerification = { ok: true; root: X509Certificate } | { ok: false; reason: string };

const MAX_CHAIN_DEPTH = 10;

/**
 * Whether a chain (leaf first, intermediates after it in any order) leads to one of the roots, by
 * issuer names and signatures only: validity periods are deliberately ignored (expiry is its own finding).
 */
export function verifyChain(chain: readonly X509Certificate[], roots: readonly X509Certificate[]): ChainVerification {
  const [leaf, ...rest] = chain;
  if (!leaf) return { ok: false, reason: "there is no workload certificate" };
  if (roots.length === 0) return { ok: false, reason: "there is no trusted root certificate" };
  const used = new Set<X509Certificate>();
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    const root = roots.find((r) => signedBy(current, r));
    if (root) return { ok: true, root };
    const next = rest.find((c) => !used.has(c) && c !== current && signedBy(current, c));
    if (!next) return { ok: false, reason: unverifiedReason(current, current === leaf, roots) };
    used.add(next);
    current = next;
  }
  return { ok: false, reason: `the chain is longer than ${MAX_CHAIN_DEPTH} certificates` };
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    // Node's checkIssued reads "this certificate was issued by the argument" (names, key identifiers).
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function unverifiedReason(cert: X509Certificate, isLeaf: boolean, roots: readonly X509Certificate[]): string {
  const rootNames = roots.map((r) => `${describeName(r.subject)} (serial ${istioctlSerial(r.serialNumber)})`).join(", ");
  // Istio's self-signed roots are all named O=cluster.local: a same-named root with another key is the usual case.
  const sameName = roots.some((r) => r.subject === cert.issuer);
  if (!isLeaf && cert.subject === cert.issuer && signedBy(cert, cert)) {
    const root = `${describeName(cert.subject)} (serial ${istioctlSerial(cert.serialNumber)})`;
    return `the chain ends at root ${root}, which is not a trusted root (${rootNames})${sameName ? ": another CA with the same name" : ""}`;
  }
  const what = isLeaf ? "the workload certificate" : `intermediate ${describeName(cert.subject)}`;
  const issuer = describeName(cert.issuer);
  return sameName
    ? `${what} names issuer ${issuer}, but its signature does not verify with the trusted root of that name (${rootNames}): another CA signed it`
    : `${what} was issued by ${issuer}, which is not among the trusted roots (${rootNames})`;
}

export function describeName(name: string | undefined): string {
  const text = (name ?? "").split("\n").filter((part) => part !== "").join(", ");
  return text === "" ? "(empty name)" : text;
}

export function rootFingerprints(roots: readonly X509Certificate[]): Set<string> {
  return new Set(roots.map((r) => r.fingerprint256));
}
