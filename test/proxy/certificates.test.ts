import { readFileSync } from "node:fs";
import { readUpstreamJson, readUpstreamText } from "../support/upstream-data.js";
import { describe, expect, it } from "vitest";
import {
  certificateDate,
  certificateTable,
  istioctlSerial,
  proxyTrust,
  secretTable,
  verifyChain,
  type SecretRow,
} from "../../src/proxy/certificates.js";
import { toProtoJson } from "./shared-data.js";
import { configDumpExpiringIn } from "../incidents/expiring-certificate.js";

/** istioctl's secret table as rows of cells, cut at the header's column positions (cells may be empty). */
function parseIstioctlTable(text: string): Record<string, string>[] {
  const [header = "", ...lines] = text.split("\n").filter((l) => l.trim() !== "");
  const titles = header.trim().split(/\s{2,}/);
  const starts = titles.map((t) => header.indexOf(t));
  return lines.map((line) =>
    Object.fromEntries(titles.map((t, i) => [t, line.slice(starts[i], starts[i + 1] ?? line.length).trim()])),
  );
}

function asIstioctlCells(row: SecretRow): Record<string, string> {
  const cert = row.certificate;
  return {
    "RESOURCE NAME": row.name,
    TYPE: cert?.type ?? "",
    STATUS: row.state,
    "VALID CERT": String(cert?.valid ?? false),
    "SERIAL NUMBER": cert?.serial ?? "",
    "NOT AFTER": cert?.notAfter ?? "",
    "NOT BEFORE": cert?.notBefore ?? "",
  };
}

// The day the upstream data was copied: validity as istioctl's own test expectations saw it.
const NOW = new Date("2026-08-22T00:00:00Z");

describe("certificate table on Istio's secret dumps", () => {
  it("matches istioctl proxy-config secret for the Istio CA dump, warming secret included", () => {
    const dump = readUpstreamJson("istio/secret-dump-istio/config_dump.json");
    const expected = parseIstioctlTable(readUpstreamText("istio/secret-dump-istio/istioctl-output.txt"));
    const actual = secretTable(dump, NOW).map(asIstioctlCells);
    expect(actual).toEqual(expected);
    expect(expected.map((r) => r["SERIAL NUMBER"])).toEqual(["", "6fbee254c22900615cb1f74e3d2f1713", "0193a543fe2b0d9cd4847675394dfc54"]);
  });

  it("gives the report's certificate rows with SANs and trust domain", () => {
    const rows = certificateTable(readUpstreamJson("istio/secret-dump-istio/config_dump.json"), NOW);
    expect(rows).toEqual([
      {
        name: "default",
        type: "Cert Chain",
        serial: "6fbee254c22900615cb1f74e3d2f1713",
        notBefore: "2023-05-15T01:30:52Z",
        notAfter: "2023-05-16T01:32:52Z",
        valid: false,
        uriSans: ["spiffe://cluster.local/ns/ambient/sa/namespace-istio-waypoint"],
        trustDomain: "cluster.local",
      },
      {
        name: "ROOTCA",
        type: "CA",
        serial: "0193a543fe2b0d9cd4847675394dfc54",
        notBefore: "2023-05-05T03:41:33Z",
        notAfter: "2033-05-02T03:41:33Z",
        valid: true,
        uriSans: [],
        trustDomain: null,
      },
    ]);
  });

  it("reads the SPIRE dump's trust domain and both federated root CAs", () => {
    const dump = readUpstreamJson("istio/secret-dump-spire/config_dump.json");
    const expected = parseIstioctlTable(readUpstreamText("istio/secret-dump-spire/istioctl-output.txt"));
    const rows = secretTable(dump, NOW);
    expect(rows.map((r) => ({ ...asIstioctlCells(r), "TRUST DOMAIN": r.certificate?.trustDomain ?? "" }))).toEqual(expected);
    const table = certificateTable(dump, NOW);
    expect(table.find((r) => r.name === "default")?.trustDomain).toBe("east.local");
    expect(table.filter((r) => r.name === "ROOTCA").map((r) => r.trustDomain)).toEqual(["east.local", "west.local"]);
    expect(proxyTrust(dump).rootTrustDomains).toEqual(["east.local", "west.local"]);
  });

  it("reads istioctl's camelCase spelling the same way", () => {
    const dump = readUpstreamJson("istio/secret-dump-spire/config_dump.json");
    expect(certificateTable(toProtoJson(dump), NOW)).toEqual(certificateTable(dump, NOW));
  });

  it("verifies a chain through its intermediate to the proxy's own root, ignoring expiry", () => {
    const spire = proxyTrust(readUpstreamJson("istio/secret-dump-spire/config_dump.json"));
    expect(spire.chain).toHaveLength(2);
    expect(spire.roots).toHaveLength(2);
    const verdict = verifyChain(spire.chain, spire.roots);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.root.subject).toContain("East Root CA");

    const istio = proxyTrust(readUpstreamJson("istio/secret-dump-istio/config_dump.json"));
    expect(verifyChain(istio.chain, istio.roots).ok).toBe(true);
  });

  it("refuses a chain against another mesh's root", () => {
    const istio = proxyTrust(readUpstreamJson("istio/secret-dump-istio/config_dump.json"));
    const spire = proxyTrust(readUpstreamJson("istio/secret-dump-spire/config_dump.json"));
    const verdict = verifyChain(istio.chain, spire.roots);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(/chain ends at root O=cluster\.local .*not a trusted root \(O=my-company\.org, CN=East Root CA/);
    expect(verifyChain(spire.chain, istio.roots).ok).toBe(false);
  });

  it("tells a same-named root with another key apart (Istio roots are all O=cluster.local)", () => {
    // The demo's proxies and a mesh issued just now: two CAs, both named O=cluster.local.
    const demo = proxyTrust(JSON.parse(readFileSync("examples/demo/proxies/shop/checkout-5c7d9-m2r8t/config_dump.json", "utf8")));
    const other = proxyTrust(configDumpExpiringIn(1, "spiffe://cluster.local/ns/shop/sa/checkout"));
    expect(verifyChain(demo.chain, demo.roots).ok).toBe(true);
    const verdict = verifyChain(demo.chain, other.roots);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(/names issuer O=cluster\.local, but its signature does not verify with the trusted root of that name .*another CA signed it/);
  });
});

describe("certificate helpers", () => {
  it("formats serials as Go's %032x", () => {
    expect(istioctlSerial("0193A543FE2B0D9CD4847675394DFC54")).toBe("0193a543fe2b0d9cd4847675394dfc54");
    expect(istioctlSerial("1F")).toBe("0000000000000000000000000000001f");
    expect(istioctlSerial("529CBBAF623611D057B517D4FFE341E4E8035037")).toBe("529cbbaf623611d057b517d4ffe341e4e8035037");
  });

  it("reads OpenSSL's date format, single-digit days included", () => {
    expect(certificateDate("May  5 03:41:33 2023 GMT").toISOString()).toBe("2023-05-05T03:41:33.000Z");
    expect(certificateDate("Nov 26 08:16:03 2026 GMT").toISOString()).toBe("2026-11-26T08:16:03.000Z");
  });

  it("gives an empty table for a dump without secrets or no dump at all", () => {
    expect(certificateTable({ configs: [] }, NOW)).toEqual([]);
    expect(certificateTable(undefined, NOW)).toEqual([]);
    expect(secretTable("not a dump", NOW)).toEqual([]);
  });
});
