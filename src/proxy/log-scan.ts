/** What a scan of `istio-proxy` logs found: every TLS failure line counted, a few kept as samples. */
export interface TlsLogScan {
  count: number;
  /** Up to `maxSamples` matching lines, in log order, each cut to `maxSampleLength` characters. */
  samples: string[];
  /** The kinds of failure seen (`CERTIFICATE_VERIFY_FAILED`, `CSR signing`, ...), in order of first appearance. */
  kinds: string[];
}

interface Pattern {
  kind: string;
  test: RegExp;
}

// Envoy writes BoringSSL reasons in access logs (`TLS_error:|268435581:SSL routines:OPENSSL_internal:
// CERTIFICATE_VERIFY_FAILED`) and debug logs (`TLS error: ...`); the Go agent writes `x509:` errors and
// its CSR failures. The first matching pattern names the line's kind.
const PATTERNS: Pattern[] = [
  { kind: "CERTIFICATE_VERIFY_FAILED", test: /CERTIFICATE_VERIFY_FAILED/i },
  { kind: "WRONG_VERSION_NUMBER", test: /WRONG_VERSION_NUMBER/i },
  { kind: "peer did not return a certificate", test: /peer[ _]did[ _]not[ _]return[ _]a[ _]certificate/i },
  { kind: "SSLV3_ALERT", test: /SSLV3_ALERT_[A-Z_]+/i },
  { kind: "TLSV1_ALERT", test: /TLSV1_ALERT_[A-Z_]+/i },
  { kind: "handshake failure", test: /handshake[ _]fail(ure|ed)/i },
  { kind: "unknown ca", test: /unknown[ _](ca|certificate authority)\b/i },
  { kind: "certificate has expired", test: /certificate[ _]has[ _]expired|CERTIFICATE_EXPIRED/i },
  { kind: "x509", test: /\bx509: /i },
  { kind: "CSR signing", test: /\bCSR\b.{0,80}\b(fail|error|denied|reject)|(fail|error)\w*\b.{0,40}\b(sign|signing)\b.{0,20}\bCSR\b/i },
  {
    kind: "certificate signing",
    test: /failed to (create|sign|generate|rotate) (the )?(workload )?(certificate|cert|secret)|\bca request failed\b|citadelclient.{0,40}(fail|error)/i,
  },
  { kind: "TLS error", test: /\bTLS[_ ]error\b|OPENSSL_internal:/i },
];

// One pre-check before the per-kind patterns: most lines of a busy proxy are healthy access logs.
const ANY = new RegExp(PATTERNS.map((p) => `(?:${p.test.source})`).join("|"), "i");

export interface LogScanOptions {
  maxSamples?: number;
  maxSampleLength?: number;
}

/** Finds TLS failure lines (FINDINGS.md MTLS405) in an `istio-proxy` log. */
export function scanTlsFailures(log: string, options: LogScanOptions = {}): TlsLogScan {
  const maxSamples = options.maxSamples ?? 3;
  const maxLength = options.maxSampleLength ?? 300;
  const result: TlsLogScan = { count: 0, samples: [], kinds: [] };
  for (const line of log.split(/\r?\n/)) {
    if (line === "" || !ANY.test(line)) continue;
    result.count++;
    const kind = PATTERNS.find((p) => p.test.test(line))?.kind;
    if (kind !== undefined && !result.kinds.includes(kind)) result.kinds.push(kind);
    if (result.samples.length < maxSamples) {
      const trimmed = line.trim();
      result.samples.push(trimmed.length > maxLength ? `${trimmed.slice(0, maxLength - 1)}…` : trimmed);
    }
  }
  return result;
}
