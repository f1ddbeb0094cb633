import { readUpstreamJson } from "../support/upstream-data.js";
import { beforeAll, describe, expect, it } from "vitest";
import { dumpClusters, dumpListeners, dumpSecrets, field, parseConfigDump } from "../../src/proxy/config-dump.js";
import { toProtoJson } from "./shared-data.js";

describe("config dump on Istio's full sidecar dump", () => {
  // Read in beforeAll: a skipped suite still runs its body to collect its tests.
  let raw: unknown;
  beforeAll(() => {
    raw = readUpstreamJson("istio/config-dump/config_dump.json");
  });

  it("finds the secrets, clusters and listeners of the raw admin dump", () => {
    const dump = parseConfigDump(raw);
    expect([...dump.sections].sort()).toEqual(["clusters", "listeners", "secrets"]);
    expect(dump.secrets.map((s) => [s.name, s.state])).toEqual([
      ["default", "ACTIVE"],
      ["ROOTCA", "ACTIVE"],
    ]);
    expect(dump.clusters.map((c) => c["name"])).toEqual([
      "inbound-vip|8000|http|httpbin.default.svc.cluster.local",
      "agent",
      "prometheus_stats",
    ]);
    expect(dump.listeners.map((l) => l["name"] ?? "(static)")).toEqual(["main_internal", "(static)"]);
  });

  it("finds the same sections in istioctl's camelCase spelling", () => {
    const camel = toProtoJson(raw);
    expect(JSON.stringify(camel)).toContain("dynamicActiveClusters");
    expect(dumpSecrets(camel).map((s) => s.name)).toEqual(["default", "ROOTCA"]);
    expect(dumpClusters(camel).map((c) => field(c, "name"))).toEqual(dumpClusters(raw).map((c) => c["name"]));
    expect(dumpListeners(camel)).toHaveLength(2);
  });

  it("indexes a dump once and returns the same result for the same object", () => {
    expect(parseConfigDump(raw)).toBe(parseConfigDump(raw));
  });
});

describe("config dump shapes", () => {
  it("reads a bare secrets section, as `istioctl proxy-config secret -o json` prints it", () => {
    const bare = {
      dynamicActiveSecrets: [{ name: "default", secret: { name: "default" } }],
      dynamicWarmingSecrets: [{ name: "ROOTCA", versionInfo: "uninitialized" }],
    };
    const dump = parseConfigDump(bare);
    expect(dump.secrets.map((s) => [s.name, s.state])).toEqual([
      ["ROOTCA", "WARMING"],
      ["default", "ACTIVE"],
    ]);
    expect([...dump.sections]).toEqual(["secrets"]);
  });

  it("reads the keyed `configs` map of early Envoy versions", () => {
    const legacy = {
      configs: {
        clusters: {
          "@type": "type.googleapis.com/envoy.admin.v2alpha.ClustersConfigDump",
          dynamic_active_clusters: [{ cluster: { name: "outbound|80||a.b.svc.cluster.local" } }],
        },
      },
    };
    expect(dumpClusters(legacy).map((c) => c["name"])).toEqual(["outbound|80||a.b.svc.cluster.local"]);
  });

  it("gives an empty dump for anything else, without throwing", () => {
    for (const junk of [undefined, null, 42, "text", [], { configs: "x" }, { something: 1 }]) {
      const dump = parseConfigDump(junk);
      expect(dump.secrets).toEqual([]);
      expect(dump.sections.size).toBe(0);
    }
  });
});
