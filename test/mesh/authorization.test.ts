import { describe, expect, it } from "vitest";
import type { AuthorizationPolicy, AuthorizationRule, AuthorizationSource } from "../../src/cluster/kube-types.js";
import { evaluateAuthorization, policyMatches, type Peer } from "../../src/mesh/authorization.js";
import { MESH_DEFAULTS } from "../../src/mesh/mesh-config.js";
import { authorizationPolicy, meshConfigMap, namespace, pod, viewOf } from "./mesh-objects.js";

const inventory = pod("shop", "inventory-1", { labels: { app: "inventory" }, ports: [{ name: "http", containerPort: 8080 }] });
const base = [namespace("istio-system"), namespace("shop"), namespace("web"), inventory];

const frontend: Peer = { namespace: "web", serviceAccount: "frontend", mtls: true };
const plaintext: Peer = { namespace: "legacy", serviceAccount: "default", mtls: false };

function decide(policies: unknown[], peer: Peer = frontend, port = 8080, extra: unknown[] = []) {
  return evaluateAuthorization(viewOf(...base, ...extra, ...policies), inventory, port, peer);
}

function allowFrom(source: AuthorizationSource, name = "allow"): AuthorizationPolicy {
  return authorizationPolicy("shop", name, { action: "ALLOW", rules: [{ from: [{ source }] }] });
}

function denyFrom(source: AuthorizationSource, name = "deny"): AuthorizationPolicy {
  return authorizationPolicy("shop", name, { action: "DENY", rules: [{ from: [{ source }] }] });
}

describe("evaluateAuthorization: order and defaults", () => {
  it("allows when no policy applies", () => {
    expect(decide([]).decision).toBe("allowed");
  });

  it("evaluates DENY before ALLOW: a matching DENY refuses even when an ALLOW matches too", () => {
    const verdict = decide([allowFrom({ namespaces: ["web"] }), denyFrom({ principals: ["cluster.local/ns/web/sa/frontend"] }, "block-frontend")]);
    expect(verdict.decision).toBe("denied");
    expect(verdict.policy?.metadata?.name).toBe("block-frontend");
  });

  it("an ALLOW policy without rules denies everything", () => {
    const verdict = decide([authorizationPolicy("shop", "allow-nothing", { action: "ALLOW" })]);
    expect(verdict.decision).toBe("denied");
    expect(verdict.policy).toBeUndefined();
    expect(verdict.allowPolicies.map((p) => p.metadata?.name)).toEqual(["allow-nothing"]);
  });

  it("`rules: [{}]` allows everything", () => {
    expect(decide([authorizationPolicy("shop", "allow-all", { rules: [{}] })]).decision).toBe("allowed");
    expect(decide([authorizationPolicy("shop", "allow-all", { rules: [{}] })], plaintext).decision).toBe("allowed");
  });

  it("a DENY policy without rules denies nothing", () => {
    expect(decide([authorizationPolicy("shop", "deny-nothing", { action: "DENY" })]).decision).toBe("allowed");
  });

  it("when ALLOW policies exist, a request that matches none is denied", () => {
    const verdict = decide([allowFrom({ namespaces: ["admin"] })]);
    expect(verdict.decision).toBe("denied");
    expect(verdict.reason).toContain("cluster.local/ns/web/sa/frontend");
  });

  it("policyMatches: no rules match nothing, an empty rule matches anything", () => {
    const ctx = { peer: frontend, mesh: MESH_DEFAULTS, port: 8080, unknown: new Set<string>() };
    expect(policyMatches(authorizationPolicy("shop", "empty", {}), ctx)).toBe("no");
    expect(policyMatches(authorizationPolicy("shop", "all", { rules: [{}] }), ctx)).toBe("yes");
  });
});

describe("evaluateAuthorization: source identity", () => {
  it("principals match the peer's principal <trustDomain>/ns/<ns>/sa/<sa>", () => {
    expect(decide([allowFrom({ principals: ["cluster.local/ns/web/sa/frontend"] })]).decision).toBe("allowed");
    expect(decide([allowFrom({ principals: ["cluster.local/ns/web/sa/backend"] })]).decision).toBe("denied");
  });

  it("notPrincipals exclude the listed principals", () => {
    expect(decide([allowFrom({ notPrincipals: ["cluster.local/ns/web/sa/frontend"] })]).decision).toBe("denied");
    expect(decide([allowFrom({ notPrincipals: ["cluster.local/ns/web/sa/backend"] })]).decision).toBe("allowed");
  });

  it("namespaces and notNamespaces match the peer's namespace", () => {
    expect(decide([allowFrom({ namespaces: ["web"] })]).decision).toBe("allowed");
    expect(decide([allowFrom({ namespaces: ["shop"] })]).decision).toBe("denied");
    expect(decide([allowFrom({ notNamespaces: ["web"] })]).decision).toBe("denied");
    expect(decide([allowFrom({ notNamespaces: ["shop"] })]).decision).toBe("allowed");
  });

  it("serviceAccounts match `<namespace>/<service account>`", () => {
    expect(decide([allowFrom({ serviceAccounts: ["web/frontend"] })]).decision).toBe("allowed");
    expect(decide([allowFrom({ serviceAccounts: ["shop/frontend"] })]).decision).toBe("denied");
    expect(decide([allowFrom({ notServiceAccounts: ["web/frontend"] })]).decision).toBe("denied");
  });

  it("all fields of one source must match, any source of a rule may", () => {
    expect(decide([allowFrom({ namespaces: ["web"], principals: ["cluster.local/ns/web/sa/backend"] })]).decision).toBe("denied");
    const eitherSource = authorizationPolicy("shop", "either", {
      rules: [{ from: [{ source: { namespaces: ["admin"] } }, { source: { principals: ["cluster.local/ns/web/sa/frontend"] } }] }],
    });
    expect(decide([eitherSource]).decision).toBe("allowed");
  });

  it.each([
    ["*", "allowed"],
    ["cluster.local/ns/web/*", "allowed"],
    ["cluster.local/ns/shop/*", "denied"],
    ["*/sa/frontend", "allowed"],
    ["*/sa/backend", "denied"],
  ])("principal pattern %s → %s", (pattern, decision) => {
    expect(decide([allowFrom({ principals: [pattern] })]).decision).toBe(decision);
  });

  it.each([
    ["*", "allowed"],
    ["we*", "allowed"],
    ["*eb", "allowed"],
    ["sh*", "denied"],
    ["*op", "denied"],
  ])("namespace pattern %s → %s", (pattern, decision) => {
    expect(decide([allowFrom({ namespaces: [pattern] })]).decision).toBe(decision);
  });

  it("uses the mesh's trust domain in the principal", () => {
    const mesh = meshConfigMap("istio", "trustDomain: corp.example\n");
    expect(decide([allowFrom({ principals: ["corp.example/ns/web/sa/frontend"] })], frontend, 8080, [mesh]).decision).toBe("allowed");
    expect(decide([allowFrom({ principals: ["cluster.local/ns/web/sa/frontend"] })], frontend, 8080, [mesh]).decision).toBe("denied");
  });

  it("accepts a principal written with one of the mesh's trustDomainAliases", () => {
    const policy = allowFrom({ principals: ["old.example/ns/web/sa/frontend"] });
    const aliased = meshConfigMap("istio", "trustDomain: new.example\ntrustDomainAliases: [old.example]\n");
    const notAliased = meshConfigMap("istio", "trustDomain: new.example\n");
    expect(decide([policy], frontend, 8080, [aliased]).decision).toBe("allowed");
    expect(decide([policy], frontend, 8080, [notAliased]).decision).toBe("denied");
  });
});

describe("evaluateAuthorization: a plaintext peer has no identity", () => {
  it.each<[string, AuthorizationSource]>([
    ["principals *", { principals: ["*"] }],
    ["namespaces *", { namespaces: ["*"] }],
    ["namespaces legacy (its own namespace)", { namespaces: ["legacy"] }],
    ["serviceAccounts legacy/default", { serviceAccounts: ["legacy/default"] }],
  ])("an ALLOW on %s never matches it", (_, source) => {
    expect(decide([allowFrom(source)], plaintext).decision).toBe("denied");
  });

  it("an ALLOW on notNamespaces matches it", () => {
    expect(decide([allowFrom({ notNamespaces: ["legacy"] })], plaintext).decision).toBe("allowed");
  });

  it("DENY notPrincipals [*] refuses plaintext and lets an mTLS peer through", () => {
    const requireIdentity = denyFrom({ notPrincipals: ["*"] }, "require-mtls");
    expect(decide([requireIdentity], plaintext).decision).toBe("denied");
    expect(decide([requireIdentity], frontend).decision).toBe("allowed");
  });

  it("a DENY on namespaces [*] does not refuse it", () => {
    expect(decide([denyFrom({ namespaces: ["*"] })], plaintext).decision).toBe("allowed");
  });

  it("when source.namespace never matches it", () => {
    const policy = authorizationPolicy("shop", "by-ns", { rules: [{ when: [{ key: "source.namespace", values: ["legacy"] }] }] });
    expect(decide([policy], plaintext).decision).toBe("denied");
  });

  it("says the peer has no identity when it is refused", () => {
    expect(decide([allowFrom({ principals: ["*"] })], plaintext).reason).toMatch(/plaintext|identity/);
  });
});

describe("evaluateAuthorization: ports and conditions", () => {
  function allowTo(rule: AuthorizationRule) {
    return authorizationPolicy("shop", "allow", { rules: [rule] });
  }

  it("matches ports by the container port, never the Service port", () => {
    expect(decide([allowTo({ to: [{ operation: { ports: ["8080"] } }] })]).decision).toBe("allowed");
    expect(decide([allowTo({ to: [{ operation: { ports: ["80"] } }] })]).decision).toBe("denied");
  });

  it("notPorts exclude the listed container ports", () => {
    expect(decide([allowTo({ to: [{ operation: { notPorts: ["8080"] } }] })]).decision).toBe("denied");
    expect(decide([allowTo({ to: [{ operation: { notPorts: ["9090"] } }] })]).decision).toBe("allowed");
  });

  it("a DENY for another port does not refuse this one", () => {
    const deny = authorizationPolicy("shop", "deny-metrics", { action: "DENY", rules: [{ to: [{ operation: { ports: ["9090"] } }] }] });
    expect(decide([deny], frontend, 8080).decision).toBe("allowed");
    expect(decide([deny], frontend, 9090).decision).toBe("denied");
  });

  it("when source.namespace values and notValues", () => {
    const values = allowTo({ when: [{ key: "source.namespace", values: ["web"] }] });
    const notValues = allowTo({ when: [{ key: "source.namespace", notValues: ["web"] }] });
    expect(decide([values]).decision).toBe("allowed");
    expect(decide([notValues]).decision).toBe("denied");
  });

  it("when source.principal and destination.port are known", () => {
    expect(decide([allowTo({ when: [{ key: "source.principal", values: ["cluster.local/ns/web/*"] }] })]).decision).toBe("allowed");
    expect(decide([allowTo({ when: [{ key: "destination.port", values: ["80"] }] })]).decision).toBe("denied");
  });

  it("an ALLOW that also needs request attributes may match: allowed, and says on what it depends", () => {
    const verdict = decide([allowTo({ from: [{ source: { namespaces: ["web"] } }], to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }] })]);
    expect(verdict.decision).toBe("allowed");
    expect(verdict.reason).toMatch(/may match/);
    expect(verdict.unknown).toEqual(["operation.methods", "operation.paths"]);
  });

  it("an ALLOW with request attributes whose known part does not match still denies", () => {
    expect(decide([allowTo({ from: [{ source: { namespaces: ["admin"] } }], to: [{ operation: { methods: ["GET"] } }] })]).decision).toBe("denied");
  });

  it("a DENY that needs request attributes may deny, and names the policy and the attribute", () => {
    const deny = authorizationPolicy("shop", "deny-admin", {
      action: "DENY",
      rules: [{ to: [{ operation: { paths: ["/admin*"] } }], when: [{ key: "request.headers[x-user]", values: ["guest"] }] }],
    });
    const verdict = decide([deny]);
    expect(verdict.decision).toBe("maybe-denied");
    expect(verdict.policy?.metadata?.name).toBe("deny-admin");
    expect(verdict.reason).toContain("operation.paths");
    expect(verdict.unknown).toContain("when request.headers[x-user]");
  });

  it("requestPrincipals (a JWT) make a source only maybe match", () => {
    const verdict = decide([allowFrom({ requestPrincipals: ["https://issuer.example/*"] })]);
    expect(verdict.decision).toBe("allowed");
    expect(verdict.unknown).toEqual(["source.requestPrincipals"]);
  });
});

describe("evaluateAuthorization: which policies apply", () => {
  it("ignores a policy annotated istio.io/dry-run", () => {
    const dryRun = authorizationPolicy("shop", "deny-all-dry", { action: "DENY", rules: [{}] }, { "istio.io/dry-run": "true" });
    expect(decide([dryRun]).decision).toBe("allowed");
    const enforced = authorizationPolicy("shop", "deny-all", { action: "DENY", rules: [{}] }, { "istio.io/dry-run": "false" });
    expect(decide([enforced]).decision).toBe("denied");
  });

  it("ignores a policy whose selector does not match the pod", () => {
    const other = authorizationPolicy("shop", "orders-only", { selector: { matchLabels: { app: "orders" } }, action: "DENY", rules: [{}] });
    expect(decide([other]).decision).toBe("allowed");
    const mine = authorizationPolicy("shop", "inventory-only", { selector: { matchLabels: { app: "inventory" } }, action: "DENY", rules: [{}] });
    expect(decide([mine]).decision).toBe("denied");
  });

  it("ignores the policies of another (non-root) namespace", () => {
    expect(decide([authorizationPolicy("web", "deny-all", { action: "DENY", rules: [{}] })]).decision).toBe("allowed");
  });

  it("applies root-namespace policies mesh-wide", () => {
    const meshAllow = authorizationPolicy("istio-system", "admin-only", { rules: [{ from: [{ source: { namespaces: ["admin"] } }] }] });
    expect(decide([meshAllow]).decision).toBe("denied");
    const meshDenyForApp = authorizationPolicy("istio-system", "deny-inventory", {
      selector: { matchLabels: { app: "inventory" } },
      action: "DENY",
      rules: [{ from: [{ source: { namespaces: ["web"] } }] }],
    });
    expect(decide([meshDenyForApp]).decision).toBe("denied");
  });

  it("takes the root namespace from the mesh config", () => {
    const root = meshConfigMap("istio", "rootNamespace: mesh-root\n");
    const denyAll = authorizationPolicy("mesh-root", "deny-all", { action: "DENY", rules: [{}] });
    expect(decide([denyAll], frontend, 8080, [root, namespace("mesh-root")]).decision).toBe("denied");
    expect(decide([authorizationPolicy("istio-system", "deny-all", { action: "DENY", rules: [{}] })], frontend, 8080, [root]).decision).toBe(
      "allowed",
    );
  });

  it("an ALLOW in the pod's namespace admits what a root-namespace ALLOW does not", () => {
    const meshAllow = authorizationPolicy("istio-system", "admin-only", { rules: [{ from: [{ source: { namespaces: ["admin"] } }] }] });
    expect(decide([meshAllow, allowFrom({ namespaces: ["web"] })]).decision).toBe("allowed");
  });
});
