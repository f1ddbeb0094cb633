import type { MtlsRow } from "./report.js";

/** `11 failed · 0 plaintext · 310 mTLS (since proxy start)`: what the proxies counted on a port, or `—` when nothing was read. */
export function describeObserved(observed: MtlsRow["observed"]): string {
  if (!observed) return "—";
  return `${observed.handshakeFailures} failed · ${observed.plaintextAccepted} plaintext · ${observed.mtlsAccepted} mTLS (${observed.window})`;
}
