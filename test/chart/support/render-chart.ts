// Renders charts/mtls-doctor the way `helm template` does, with the Go-template subset of
// go-template.ts: values.yaml merged with a values file, every template but the `_` partials executed
// with .Values/.Release/.Chart/.Capabilities/.Template, the output split into YAML documents.

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { TemplateSet } from "./go-template.js";

export const CHART_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../charts/mtls-doctor");
export const RELEASE = { Name: "doctor", Namespace: "mtls-doctor" };

export type Values = Record<string, unknown>;

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface Rendered {
  /** Every object, in template-file order. */
  manifests: Manifest[];
  /** The template file each object came from, by `Kind/name`. */
  sources: Map<string, string>;
  notes: string;
}

function isDict(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Helm's coalescing: maps merge key by key, anything else replaces, and null removes a default. */
export function mergeValues(defaults: Values, overrides: Values): Values {
  const out: Values = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else if (isDict(value) && isDict(out[key])) out[key] = mergeValues(out[key] as Values, value);
    else out[key] = value;
  }
  return out;
}

export function readYamlFile(file: string): Values {
  const parsed: unknown = parse(readFileSync(file, "utf8"));
  return isDict(parsed) ? parsed : {};
}

export function defaultValues(): Values {
  return readYamlFile(path.join(CHART_DIR, "values.yaml"));
}

/** The `ci/*-values.yaml` files that chart-testing and .ci/run install the chart with. */
export function ciValueFiles(): string[] {
  return readdirSync(path.join(CHART_DIR, "ci"))
    .filter((f) => f.endsWith("-values.yaml"))
    .sort()
    .map((f) => path.join(CHART_DIR, "ci", f));
}

/** Template files under templates/, relative to it. */
export function templateFiles(): string[] {
  return readdirSync(path.join(CHART_DIR, "templates")).sort();
}

function loadTemplates(): TemplateSet {
  const set = new TemplateSet();
  for (const file of templateFiles()) {
    set.add(`mtls-doctor/templates/${file}`, readFileSync(path.join(CHART_DIR, "templates", file), "utf8"));
  }
  return set;
}

/** Helm's releaseutil.SplitManifests: documents between `---` lines, empty ones dropped. */
function splitDocuments(text: string): string[] {
  return text.split(/(?:^|\n)---[ \t]*(?:\n|$)/).filter((doc) => doc.trim() !== "");
}

/** Renders the chart with values.yaml plus `overrides` (a values file's content). */
export function renderChart(overrides: Values = {}): Rendered {
  const chart = readYamlFile(path.join(CHART_DIR, "Chart.yaml"));
  const values = mergeValues(defaultValues(), overrides);
  const set = loadTemplates();
  const top = {
    Values: values,
    Release: { ...RELEASE, Service: "Helm", IsInstall: true, IsUpgrade: false, Revision: 1 },
    Chart: { Name: chart["name"], Version: chart["version"], AppVersion: chart["appVersion"], KubeVersion: chart["kubeVersion"] },
    Capabilities: { KubeVersion: { Version: "v1.31.0", Major: "1", Minor: "31" }, APIVersions: { Has: () => false } },
  };
  const manifests: Manifest[] = [];
  const sources = new Map<string, string>();
  let notes = "";
  for (const file of templateFiles()) {
    if (file.startsWith("_")) continue;
    const name = `mtls-doctor/templates/${file}`;
    const text = set.execute(name, { ...top, Template: { Name: name, BasePath: "mtls-doctor/templates" } });
    if (file === "NOTES.txt") {
      notes = text;
      continue;
    }
    for (const doc of splitDocuments(text)) {
      const parsed = parseAllDocuments(doc, { uniqueKeys: true, version: "1.1" });
      for (const d of Array.isArray(parsed) ? parsed : [parsed]) {
        if (d.errors.length > 0) throw new Error(`${file}: the rendered YAML does not parse: ${d.errors[0]?.message}\n${doc}`);
        const obj = d.toJS() as Manifest | null;
        if (obj === null) continue;
        manifests.push(obj);
        sources.set(`${obj.kind}/${obj.metadata?.name}`, file);
      }
    }
  }
  return { manifests, sources, notes };
}

/** Objects of a kind, by name. */
export function byKind(rendered: Rendered, kind: string): Map<string, Manifest> {
  return new Map(rendered.manifests.filter((m) => m.kind === kind).map((m) => [m.metadata.name, m]));
}
