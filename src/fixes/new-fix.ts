import { stringify } from "yaml";
import type { KubeObject } from "../cluster/kube-types.js";
import type { Fix, FixRisk } from "../checks/finding.js";
import { validateFixObject } from "./validate-objects.js";

/** A fix object: any Kubernetes object, spec included. */
export type FixObject = KubeObject & { spec?: unknown };

function targetOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind ?? "?"} ${ns ? `${ns}/` : ""}${obj.metadata?.name ?? "?"}`;
}

/** YAML documents, in order, as `kubectl apply -f` and server-side apply take them. */
export function objectsToYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

export interface FixOptions {
  /** Shown for a person to apply by hand (deletions, merges): never applied by the bot. */
  manual?: boolean;
  /** A comment put before the YAML, e.g. why it is applied by hand. */
  note?: string;
  /** The command that applies it by hand (see Fix.byHand); the note ends with it. */
  byHand?: string;
}


/**
 * The one way to build a fix: every object is validated against its published schema first, so a fix
 * that would be refused by the API server is never offered.
 */
export function newFix(title: string, risk: FixRisk, objects: readonly FixObject[], options: FixOptions = {}): Fix {
  for (const obj of objects) validateFixObject(obj);
  const lines = [...(options.note ? options.note.split("\n") : []), ...(options.byHand ? [`By hand: ${options.byHand.replaceAll("<file>", "<this file>")}`] : [])];
  const note = lines.map((l) => `# ${l}`).join("\n") + (lines.length > 0 ? "\n" : "");
  const fix: Fix = { title, risk, yaml: note + objectsToYaml(objects), targets: objects.map(targetOf) };
  if (options.manual) fix.manual = true;
  if (options.byHand) fix.byHand = options.byHand;
  return fix;
}

/** Combines fixes that must be applied together, in order (label a namespace, then restart). */
export function combineFixes(title: string, risk: FixRisk, parts: readonly Fix[]): Fix {
  return {
    title,
    risk,
    yaml: parts.map((p) => p.yaml).join("---\n"),
    targets: parts.flatMap((p) => p.targets),
  };
}
