import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * A config dump whose workload certificate (signed by its own ROOTCA, with the pod's SPIFFE identity)
 * is valid from now for `days`: issued with openssl, because a certificate's dates cannot be changed
 * without signing it again.
 */
export function configDumpExpiringIn(days: number, spiffeId: string): unknown {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mtls-cert-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  try {
    writeFileSync(file("leaf.ext"), `subjectAltName=URI:${spiffeId}\n`);
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "3650", "-subj", "/O=cluster.local");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", file("leaf.key"), "-out", file("leaf.csr"), "-subj", "/");
    openssl("x509", "-req", "-in", file("leaf.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file("leaf.pem"), "-days", String(days), "-extfile", file("leaf.ext"));
    const base64 = (name: string) => readFileSync(file(name)).toString("base64");
    const secret = (name: string, body: Record<string, unknown>) => ({
      name,
      last_updated: new Date().toISOString(),
      secret: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", name, ...body },
    });
    return {
      configs: [
        {
          "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
          dynamic_active_secrets: [
            secret("default", { tls_certificate: { certificate_chain: { inline_bytes: base64("leaf.pem") }, private_key: { inline_bytes: "W3JlZGFjdGVkXQ==" } } }),
            secret("ROOTCA", { validation_context: { trusted_ca: { inline_bytes: base64("ca.pem") } } }),
          ],
        },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
