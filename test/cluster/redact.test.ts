import { expect, test } from "vitest";
import { redactConfigDump, redactObject, redactText, REDACTED } from "../../src/cluster/redact.js";

const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----";

test("config dumps lose inline key material, snake_case and camelCase, and keep certificates and file references", () => {
  const dump = {
    configs: [
      {
        "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
        dynamic_active_secrets: [
          {
            name: "default",
            secret: {
              tls_certificate: {
                certificate_chain: { inline_bytes: "Q0VSVA==" },
                private_key: { inline_bytes: "S0VZ" },
                password: { inline_string: "hunter2" },
              },
            },
          },
        ],
        dynamicActiveSecrets: [{ secret: { tlsCertificate: { privateKey: { inlineBytes: "S0VZ" } } } }],
        static_secrets: [{ secret: { tls_certificate: { private_key: { filename: "/etc/certs/key.pem" }, pkcs12: { inline_bytes: "UDEy" } } } }],
        generic: { generic_secret: { secret: { inline_string: "hmac" } } },
      },
    ],
  };
  expect(redactConfigDump(dump)).toEqual({
    configs: [
      {
        "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
        dynamic_active_secrets: [
          {
            name: "default",
            secret: {
              tls_certificate: {
                certificate_chain: { inline_bytes: "Q0VSVA==" },
                private_key: { inline_bytes: REDACTED },
                password: { inline_string: REDACTED },
              },
            },
          },
        ],
        dynamicActiveSecrets: [{ secret: { tlsCertificate: { privateKey: { inlineBytes: REDACTED } } } }],
        static_secrets: [{ secret: { tls_certificate: { private_key: { filename: "/etc/certs/key.pem" }, pkcs12: { inline_bytes: REDACTED } } } }],
        generic: { generic_secret: { secret: { inline_string: REDACTED } } },
      },
    ],
  });
  expect(dump.configs[0]?.dynamic_active_secrets[0]?.secret.tls_certificate.private_key.inline_bytes).toBe("S0VZ");
});

test("PEM private keys are removed from any text; certificates stay", () => {
  const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  expect(redactText(`before\n${KEY}\n${cert}\nafter`)).toBe(`before\n${REDACTED}\n${cert}\nafter`);
  expect(redactText("-----BEGIN RSA PRIVATE KEY-----\ntruncated")).toBe(REDACTED);
});

test("objects lose managedFields and PEM keys in any string", () => {
  const obj = { kind: "ConfigMap", metadata: { name: "x", managedFields: [{ manager: "kubectl" }], annotations: { a: KEY } }, data: { k: "v" } };
  expect(redactObject(obj)).toEqual({ kind: "ConfigMap", metadata: { name: "x", annotations: { a: REDACTED } }, data: { k: "v" } });
});
