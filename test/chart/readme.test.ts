// charts/mtls-doctor/README.md: its values table is generated from values.yaml, and its permission
// tables say what the rendered roles grant.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { BEGIN_MARKER, documentValues, END_MARKER, updateReadme, valuesTable } from "../../scripts/chart-readme.js";
import { renderCi, rulesOf } from "./support/manifests.js";
import { CHART_DIR } from "./support/render-chart.js";

const readme = readFileSync(path.join(CHART_DIR, "README.md"), "utf8");
const values = readFileSync(path.join(CHART_DIR, "values.yaml"), "utf8");

describe("the chart README", () => {
  test("is up to date with values.yaml (npm run chart:readme)", () => {
    expect(updateReadme(readme, values)).toBe(readme);
  });

  test("documents every commented value, once, in values.yaml order", () => {
    const section = readme.slice(readme.indexOf(BEGIN_MARKER), readme.indexOf(END_MARKER));
    const keys = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(keys).toEqual(documentValues(values).docs.map((d) => d.key));
  });

  test("a description with a pipe stays in its cell", () => {
    expect(valuesTable([{ key: "a", type: "string", defaultValue: '"x|y"', description: "one | two" }])).toContain('| `a` | string | `"x\\|y"` | one \\| two |');
  });

  test("its permission tables are the rules the roles grant", () => {
    const tables = [...readme.matchAll(/\| API group \| Resources \| Verbs \|\n\| --- \| --- \| --- \|\n((?:\|.*\|\n)+)/g)].map((m) =>
      (m[1] ?? "")
        .trim()
        .split("\n")
        .map((row) => {
          const [group = "", resources = "", verbs = ""] = row.split("|").slice(1, 4).map((c) => c.trim());
          return { apiGroups: [group.replace(/`/g, "").replace(/^""$/, "")], resources: resources.split(", "), verbs: verbs.split(", ") };
        }),
    );
    const r = renderCi("fixes-enabled", { proxyInspection: { exec: false } });
    expect(tables).toEqual([rulesOf(r, "ClusterRole", "doctor-mtls-doctor-diagnose"), rulesOf(r, "ClusterRole", "doctor-mtls-doctor-fixes")]);
  });
});
