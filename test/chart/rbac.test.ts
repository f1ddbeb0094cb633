// The worker's Kubernetes permissions, read from the rendered rbac-*.yaml templates: exactly these rules
// for each configuration, nothing for the bot, and nothing the checks and fixes do not use.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { REQUIRED_ACCESS, type AccessFeature, type AccessNeed } from "../../src/cluster/required-access.js";
import { allRules, renderCi, rulesOf, type Rule } from "./support/manifests.js";
import { byKind, ciValueFiles, RELEASE, type Rendered } from "./support/render-chart.js";

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");
const DIAGNOSE = "doctor-mtls-doctor-diagnose";
const FIXES = "doctor-mtls-doctor-fixes";
const MESH_CONFIG = "doctor-mtls-doctor-mesh-config";
const WORKER_SA = "doctor-mtls-doctor-worker";

/** The table's needs of a feature (and scope) as RBAC rules, one per row, the form the chart writes them in. */
function rulesFor(feature: AccessFeature, scope: AccessNeed["scope"] = "cluster"): Rule[] {
  return REQUIRED_ACCESS.filter((n) => n.feature === feature && n.scope === scope).map((n) => ({ apiGroups: [n.group], resources: [n.resource], verbs: [...n.verbs] }));
}

/** What a set of rules grants, one `group/resource verb` per grant, sorted: rules compare whatever their grouping. */
function grants(rules: readonly Rule[] | undefined): string[] {
  return [...new Set((rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res} ${v}`)))))].sort();
}

/** What the checks read (src/cluster/collect-live.ts): never Secrets, never a write. */
const READ = rulesFor("diagnose");
/** Policy watches (src/cluster/watch-policies.ts), with an incident channel. */
const WATCH = rulesFor("watch");
/** `pilot-agent request GET config_dump` in istio-proxy (WebSocket exec: `get`, and `create` from 1.35). */
const EXEC = rulesFor("exec");
/** Mesh config and injector templates, and managed mesh revisions, in istio-system only. */
const MESH_CONFIG_RULES = [...rulesFor("diagnose", "mesh-root"), ...rulesFor("managed-mesh", "mesh-root")];
/**
 * Applying approved fixes: read, dry-run and server-side apply (PATCH), create missing policies, record
 * Events; rolling back: put the prior object back (update), delete an Istio policy the fix created.
 */
const FIX = rulesFor("fixes");

function diagnoseRules(r: Rendered): Rule[] | undefined {
  return rulesOf(r, "ClusterRole", DIAGNOSE);
}

describe("the worker's roles grant exactly what src/cluster/required-access.ts needs", () => {
  test("by default: read-only diagnosis, exec for config dumps, istio-system's ConfigMaps and ControlPlaneRevisions, no writes", () => {
    const r = renderCi("socket-mode");
    expect(grants(diagnoseRules(r))).toEqual(grants([...READ, ...EXEC]));
    expect(grants(rulesOf(r, "Role", MESH_CONFIG))).toEqual(grants(MESH_CONFIG_RULES));
    expect(byKind(r, "Role").get(MESH_CONFIG)?.metadata.namespace).toBe("istio-system");
    expect(rulesOf(r, "ClusterRole", FIXES)).toBeUndefined();
    expect(grants(allRules(r).map(({ rule }) => rule))).toEqual(grants([...READ, ...EXEC, ...MESH_CONFIG_RULES]));
  });

  test("proxyInspection.exec=false: no pods/exec", () => {
    const r = renderCi("no-exec");
    expect(grants(diagnoseRules(r))).toEqual(grants(READ));
    expect(allRules(r).filter(({ rule }) => rule.resources.includes("pods/exec"))).toEqual([]);
  });

  test("fixes.enabled=true: a second ClusterRole with exactly the writes fixes make", () => {
    const r = renderCi("fixes-enabled");
    expect(grants(diagnoseRules(r))).toEqual(grants([...READ, ...EXEC]));
    expect(grants(rulesOf(r, "ClusterRole", FIXES))).toEqual(grants(FIX));
  });

  test("an incident channel with policy watches adds `watch` on the three policy kinds", () => {
    expect(grants(diagnoseRules(renderCi("http-ingress")))).toEqual(grants([...READ, ...WATCH, ...EXEC]));
    expect(grants(diagnoseRules(renderCi("http-ingress", { scans: { watchPolicies: false } })))).toEqual(grants([...READ, ...EXEC]));
  });

  test("a spoke cluster's worker gets the same roles as the hub's", () => {
    expect(grants(diagnoseRules(renderCi("spoke-worker")))).toEqual(grants([...READ, ...EXEC]));
  });

  test("the table is not empty where the chart grants something (a comparison of nothing would always pass)", () => {
    for (const rules of [READ, WATCH, EXEC, MESH_CONFIG_RULES, FIX]) expect(rules.length).toBeGreaterThan(0);
  });

  test("rbac.create=false, or no worker: no roles and no bindings at all", () => {
    for (const r of [renderCi("fixes-enabled", { rbac: { create: false } }), renderCi("socket-mode", { worker: { enabled: false } })]) {
      const kinds = r.manifests.map((m) => m.kind);
      for (const kind of ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]) expect(kinds).not.toContain(kind);
    }
  });
});

const everyConfiguration: [string, Rendered][] = [
  ...ciValueFiles().map((f): [string, Rendered] => {
    const name = path.basename(f, "-values.yaml");
    return [name, renderCi(name)];
  }),
  ["everything on", renderCi("http-ingress", { fixes: { enabled: true } })],
];

describe.each(everyConfiguration)("least privilege (%s)", (_name, r) => {
  test("no Secrets, no wildcards, no privilege verbs, delete and update only for fix rollbacks, no resource names or URLs", () => {
    for (const { role, rule } of allRules(r)) {
      const where = `${role}: ${JSON.stringify(rule)}`;
      const rollback = role.endsWith("-fixes");
      // Rollback alone may replace what a fix changed, and delete only an Istio policy a fix created.
      if (rollback && rule.verbs.includes("delete")) expect(rule.apiGroups.every((g) => g.endsWith("istio.io")), where).toBe(true);
      expect(rule.apiGroups, where).not.toContain("*");
      expect(rule.resources, where).not.toContain("*");
      expect(rule.resources.filter((res) => res.startsWith("secrets")), where).toEqual([]);
      const forbidden = ["*", "deletecollection", "escalate", "bind", "impersonate", "approve", ...(rollback ? [] : ["delete", "update"])];
      expect(rule.verbs.filter((v) => forbidden.includes(v)), where).toEqual([]);
      expect(rule.resources.filter((res) => /^(roles|rolebindings|clusterroles|clusterrolebindings|serviceaccounts\/token|nodes|pods\/attach|pods\/portforward|pods\/proxy|services\/proxy)$/.test(res)), where).toEqual([]);
      expect(rule.nonResourceURLs, where).toBeUndefined();
    }
  });

  test("every binding names a role of the chart and the worker's ServiceAccount only", () => {
    const roles = new Set(r.manifests.filter((m) => m.kind === "Role" || m.kind === "ClusterRole").map((m) => `${m.kind}/${m.metadata.name}`));
    for (const binding of r.manifests.filter((m) => m.kind === "RoleBinding" || m.kind === "ClusterRoleBinding")) {
      const ref = binding["roleRef"] as { kind: string; name: string };
      expect(roles).toContain(`${ref.kind}/${ref.name}`);
      expect(binding["subjects"]).toEqual([{ kind: "ServiceAccount", name: WORKER_SA, namespace: RELEASE.Namespace }]);
    }
  });
});

/** `group/plural` of every resource type the source reads, found by the shapes collect-live.ts declares them in. */
function resourcesIn(file: string): Set<string> {
  const text = readFileSync(path.join(SRC, file), "utf8");
  const found = new Set<string>();
  for (const m of text.matchAll(/\bcore\("\w+", "(\w+)"\)/g)) found.add(`/${m[1]}`);
  for (const m of text.matchAll(/\bapps\("\w+", "(\w+)"\)/g)) found.add(`apps/${m[1]}`);
  for (const m of text.matchAll(/\bistio\("\w+", "([a-z0-9.-]+)", "(\w+)"/g)) found.add(`${m[1]}/${m[2]}`);
  for (const m of text.matchAll(/group: "([a-z0-9.-]+)", versions: \[[^\]]*\], plural: "(\w+)"/g)) found.add(`${m[1]}/${m[2]}`);
  return found;
}

function granted(rules: readonly Rule[], verb: string): Set<string> {
  return new Set(rules.filter((r) => r.verbs.includes(verb)).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))));
}

describe("the roles follow the code", () => {
  test("the read rules grant list on exactly the resource types the collector lists", () => {
    // ControlPlaneRevisions are listed only on a managed mesh (MTLS107), under the managed-mesh grant.
    const read = granted([...READ, ...rulesFor("diagnose", "mesh-root"), ...rulesFor("managed-mesh", "mesh-root")], "list");
    expect(resourcesIn("cluster/collect-live.ts")).toEqual(read);
  });

  test("the managed mesh grant is what preflight's mesh detection lists, in the mesh root namespace", () => {
    const text = readFileSync(path.join(SRC, "cluster/detect-mesh.ts"), "utf8");
    expect(text).toMatch(/namespaces\/\$\{ns\}\/controlplanerevisions/);
    expect(text).toContain(`MANAGED_MESH_GROUP = "mesh.cloud.google.com"`);
    expect(granted(rulesFor("managed-mesh", "mesh-root"), "list")).toEqual(new Set(["mesh.cloud.google.com/controlplanerevisions"]));
  });

  test("the collector's subresources are the ones granted: pods/log (get) and pods/exec", () => {
    expect(readFileSync(path.join(SRC, "cluster/collect-live.ts"), "utf8")).toMatch(/verb: "get", resource: "pods\/log"/);
    expect(readFileSync(path.join(SRC, "cluster/exec-in-pod.ts"), "utf8")).toMatch(/resource: "pods\/exec"/);
    expect(readFileSync(path.join(SRC, "cluster/collect-live.ts"), "utf8")).toMatch(/container: "istio-proxy",\s+command: \["pilot-agent", "request", "GET", "config_dump"\]/);
  });

  test("the watch rules cover exactly the kinds the policy watch follows", () => {
    expect(resourcesIn("cluster/watch-policies.ts")).toEqual(granted(WATCH, "watch"));
  });

  test("every kind a fix writes can be patched, and nothing else", () => {
    const text = readFileSync(path.join(SRC, "fixes/mesh-fixes.ts"), "utf8");
    const plural: Record<string, string> = {
      PeerAuthentication: "security.istio.io/peerauthentications",
      AuthorizationPolicy: "security.istio.io/authorizationpolicies",
      DestinationRule: "networking.istio.io/destinationrules",
      Namespace: "/namespaces",
    };
    const kinds = new Set([...text.matchAll(/kind: "(\w+)"/g)].map((m) => m[1] ?? ""));
    const written = new Set([...kinds].map((k) => plural[k] ?? `unknown kind ${k}`));
    // Restarts patch the pod template of the workload that owns the pods (workload-template-patch.ts).
    for (const workload of ["deployments", "statefulsets", "daemonsets"]) written.add(`apps/${workload}`);
    expect(granted(FIX, "patch")).toEqual(written);
  });
});
