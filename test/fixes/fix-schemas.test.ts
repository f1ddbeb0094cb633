import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import type { KubeObject } from "../../src/cluster/kube-types.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import { upstreamPath } from "../support/upstream-data.js";

const CRDS = upstreamPath("istio/crds/crd-all.gen.yaml");
const NOW = new Date("2026-11-27T12:00:00Z");

interface Crd {
  kind: string;
  spec: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema: object } }[] };
}

/** The validator of each `group/version Kind` Istio publishes. */
function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<string, ValidateFunction>();
  for (const doc of parseAllDocuments(readFileSync(CRDS, "utf8"))) {
    const crd = doc.toJS() as Crd | null;
    if (crd?.kind !== "CustomResourceDefinition") continue;
    for (const version of crd.spec.versions) {
      if (!version.schema) continue;
      validators.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, ajv.compile(version.schema.openAPIV3Schema));
    }
  }
  return validators;
}

/** Every fix the project offers over its fixtures, scenarios and demo, as objects. */
async function allFixObjects(): Promise<{ where: string; obj: KubeObject }[]> {
  const out: { where: string; obj: KubeObject }[] = [];
  const dirs: { dir: string; requests: DiagnoseRequest[] }[] = [];
  const fixtures = path.resolve("test/fixtures/checks");
  for (const topic of readdirSync(fixtures)) {
    const cases = parse(readFileSync(path.join(fixtures, topic, "cases.yaml"), "utf8")) as { args: { mode: string; target?: string; from?: string } }[];
    dirs.push({
      dir: path.join(fixtures, topic, "snapshot"),
      requests: cases.map((c) => {
        if (c.args.mode === "scan" || !c.args.target) return { mode: "scan", namespaces: [], now: NOW };
        const [service = "", namespace = "default"] = c.args.target.split(".");
        const request: DiagnoseRequest = { mode: "check", target: { service, namespace }, now: NOW };
        if (c.args.from) {
          const [name = "", ns = namespace] = c.args.from.split(".");
          request.from = { name, namespace: ns };
        }
        return request;
      }),
    });
  }
  dirs.push({ dir: path.resolve("examples/demo"), requests: [{ mode: "check", target: { service: "storefront", namespace: "shop" }, from: { name: "checkout", namespace: "shop" }, now: NOW }] });
  for (const { dir, requests } of dirs) {
    const snapshot = await loadSnapshotDir(dir);
    for (const request of [...requests, { mode: "scan", namespaces: [], now: NOW } as DiagnoseRequest]) {
      for (const finding of diagnose(snapshot, request).findings) {
        for (const fix of finding.fixes) {
          for (const doc of parseAllDocuments(fix.yaml)) out.push({ where: `${path.basename(path.dirname(dir))} ${finding.code}: ${fix.title}`, obj: doc.toJS() as KubeObject });
        }
      }
    }
  }
  return out;
}

describe("every fix validates against Istio's published CRD schemas", () => {
  it("PeerAuthentication, DestinationRule and AuthorizationPolicy fixes match crd-all.gen.yaml", async () => {
    const validators = crdValidators();
    const objects = await allFixObjects();
    const istio = objects.filter(({ obj }) => (obj.apiVersion ?? "").includes("istio.io"));
    const kinds = new Set(istio.map(({ obj }) => obj.kind));
    expect([...kinds].sort()).toEqual(["AuthorizationPolicy", "DestinationRule", "PeerAuthentication"]);
    const problems: string[] = [];
    for (const { where, obj } of istio) {
      const validate = validators.get(`${obj.apiVersion} ${obj.kind}`);
      if (!validate) {
        problems.push(`${where}: no CRD schema for ${obj.apiVersion} ${obj.kind}`);
        continue;
      }
      if (!validate(obj)) problems.push(`${where}: ${JSON.stringify(validate.errors)}`);
    }
    expect(problems).toEqual([]);
  });

  it("the validator is not a rubber stamp: a wrong mode and a misplaced field are rejected", () => {
    const validate = crdValidators().get("security.istio.io/v1 PeerAuthentication");
    expect(validate?.({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "x" }, spec: { mtls: { mode: "STRICTER" } } })).toBe(false);
    expect(validate?.({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "x" }, spec: { portLevelMtls: { "8080": { mode: "PERMISSIVE" } }, selector: { matchLabels: { app: "a" } } } })).toBe(true);
  });
});
