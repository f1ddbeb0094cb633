// values.yaml, the CI value files and values.schema.json: what `helm lint` / `helm install` would
// validate, checked here without helm (Helm validates the merged values against the schema).
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { describe, expect, test } from "vitest";
import { documentValues } from "../../scripts/chart-readme.js";
import { CHART_DIR, ciValueFiles, defaultValues, mergeValues, readYamlFile, type Values } from "./support/render-chart.js";

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
}

const schema = JSON.parse(readFileSync(path.join(CHART_DIR, "values.schema.json"), "utf8")) as SchemaNode;
// strictSchema: an unknown or misspelt keyword in the schema is an error, not ignored. The if/then
// clauses name properties without repeating their types, which strictTypes would flag.
const validate = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false }).compile(schema);

function problems(values: Values): string[] {
  if (validate(values)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

describe("values against values.schema.json", () => {
  test("values.yaml is valid on its own", () => {
    expect(problems(defaultValues())).toEqual([]);
  });

  test("there is a CI values file for each supported installation", () => {
    expect(ciValueFiles().map((f) => path.basename(f))).toEqual([
      "fixes-enabled-values.yaml",
      "http-ingress-values.yaml",
      "no-exec-values.yaml",
      "redis-cluster-values.yaml",
      "redis-sentinel-values.yaml",
      "socket-mode-values.yaml",
      "spoke-worker-values.yaml",
    ]);
  });

  test.each(ciValueFiles().map((f) => [path.basename(f), f]))("%s, merged over values.yaml, is valid", (_name, file) => {
    expect(problems(mergeValues(defaultValues(), readYamlFile(file)))).toEqual([]);
  });

  const external = { bundled: { enabled: false } };
  test.each<[string, Values, string]>([
    ["a spoke (no bot) with its own Redis", { bot: { enabled: false } }, "/redis/bundled/enabled"],
    ["an external Redis without an address", { redis: external }, "/redis"],
    ["Redis Cluster without a hash tag in the prefix", { redis: { ...external, url: "redis://r:6379", cluster: true } }, "/redis/queuePrefix"],
    ["Sentinel without the master's name", { redis: { ...external, sentinel: { hosts: ["s-0:26379"] } } }, "/redis/sentinel/masterName"],
    ["Sentinel and a URL together", { redis: { ...external, url: "redis://r:6379", sentinel: { hosts: ["s-0:26379"], masterName: "m" } } }, "/redis/url"],
    ["the bundled Redis and a URL together", { redis: { url: "redis://r:6379" } }, "/redis/url"],
    ["neither a bot nor a worker", { bot: { enabled: false }, worker: { enabled: false }, redis: { ...external, url: "redis://r:6379" } }, "/bot/enabled"],
    ["a misspelt key", { bot: { replica: 2 } }, "/bot"],
    ["a cluster name that is not a DNS label", { clusterName: "Prod_EU" }, "/clusterName"],
    ["a queue prefix with ':'", { redis: { queuePrefix: "mtls:prod" } }, "/redis/queuePrefix"],
    ["an unknown bot mode", { bot: { mode: "websocket" } }, "/bot/mode"],
    ["a user token where the bot token goes", { slack: { botToken: "xoxp-1234" } }, "/slack/botToken"],
    ["a channel name instead of its ID", { slack: { incidentChannel: "#incidents" } }, "/slack/incidentChannel"],
    ["a reaction with colons", { slack: { reactions: { approve: ":white_check_mark:" } } }, "/slack/reactions/approve"],
  ])("refuses %s", (_what, overrides, path) => {
    const found = problems(mergeValues(defaultValues(), overrides));
    expect(found.some((p) => p.startsWith(path)), `expected a problem at ${path}, got ${JSON.stringify(found)}`).toBe(true);
  });
});

/** Dotted paths of a values tree, down to the values that are not maps (or empty maps). */
function valuePaths(values: Values, prefix = ""): string[] {
  return Object.entries(values).flatMap(([key, value]) =>
    typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0
      ? [`${prefix}${key}`, ...valuePaths(value as Values, `${prefix}${key}.`)]
      : [`${prefix}${key}`],
  );
}

/** Dotted paths the schema spells out; an object without `properties` is free-form (resources, labels…). */
function schemaPaths(node: SchemaNode, prefix = ""): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => [`${prefix}${key}`, ...schemaPaths(child, `${prefix}${key}.`)]);
}

describe("values.yaml and values.schema.json in step", () => {
  test("every key of values.yaml is in the schema, and every key of the schema in values.yaml", () => {
    const inSchema = new Set(schemaPaths(schema));
    const inValues = new Set(valuePaths(defaultValues()));
    // Below a free-form object (no `properties`: resources, affinity…) values.yaml holds defaults only.
    const belowFreeForm = (p: string) => [...inSchema].some((s) => p.startsWith(`${s}.`) && schemaAt(s).properties === undefined);
    expect([...inValues].filter((p) => !inSchema.has(p) && !belowFreeForm(p))).toEqual([]);
    expect([...inSchema].filter((p) => !inValues.has(p))).toEqual([]);
  });

  test("every object the schema spells out refuses unknown keys, except security contexts", () => {
    const open: string[] = [];
    const visit = (node: SchemaNode, at: string) => {
      if (node.properties && node.additionalProperties !== false) open.push(at);
      for (const [key, child] of Object.entries(node.properties ?? {})) visit(child, at === "" ? key : `${at}.${key}`);
    };
    visit(schema, "");
    expect(open.filter((p) => !/(^|\.)(podSecurityContext|securityContext)(\.|$)/.test(p))).toEqual([]);
  });
});

function schemaAt(dotted: string): SchemaNode {
  return dotted.split(".").reduce<SchemaNode>((node, key) => node.properties?.[key] ?? {}, schema);
}

describe("values.yaml comments", () => {
  test('every value has a "# --" comment, on itself or on a map documented as a whole', () => {
    expect(documentValues(readFileSync(path.join(CHART_DIR, "values.yaml"), "utf8")).undocumented).toEqual([]);
  });

  test("a value without a comment is reported", () => {
    const yaml = "# -- documented\na: 1\nb:\n  # -- documented too\n  c: 2\n  d: 3\n# -- a map as a whole\ne:\n  f: 1\n";
    expect(documentValues(yaml).undocumented).toEqual(["b.d"]);
  });
});
