import { describe, expect, it } from "vitest";
import type { DestinationRule } from "../../src/cluster/kube-types.js";
import { destinationRuleFor, ruleTlsForPort, type Client } from "../../src/mesh/destination-rule.js";
import { created, destinationRule, meshConfigMap, namespace, viewOf } from "./mesh-objects.js";

const namespaces = ["istio-system", "shop", "web", "other"].map((n) => namespace(n));
const reviews = { name: "reviews", namespace: "shop" };
const webClient: Client = { namespace: "web", labels: { app: "frontend" } };
const shopClient: Client = { namespace: "shop", labels: { app: "orders" } };

function ruleFor(client: Client, rules: DestinationRule[], service = reviews): string | undefined {
  const rule = destinationRuleFor(viewOf(...namespaces, ...rules), client, service);
  return rule && `${rule.metadata?.namespace}/${rule.metadata?.name}`;
}

const istioMutual = { tls: { mode: "ISTIO_MUTUAL" as const } };

describe("destinationRuleFor: which namespace decides", () => {
  it("finds no rule when none matches the host", () => {
    expect(ruleFor(webClient, [destinationRule("shop", "ratings", { host: "ratings", trafficPolicy: istioMutual })])).toBeUndefined();
  });

  it("uses the service's namespace when the client's has no matching rule", () => {
    expect(ruleFor(webClient, [destinationRule("shop", "reviews", { host: "reviews", trafficPolicy: istioMutual })])).toBe("shop/reviews");
  });

  it("prefers the client's namespace to the service's, even a wildcard there over an exact host in the service's", () => {
    const rules = [
      destinationRule("shop", "reviews", { host: "reviews.shop.svc.cluster.local" }),
      destinationRule("web", "all-local", { host: "*.local" }),
    ];
    expect(ruleFor(webClient, rules)).toBe("web/all-local");
  });

  it("prefers the service's namespace to the root namespace", () => {
    const rules = [
      destinationRule("istio-system", "mesh-default", { host: "*.local" }),
      destinationRule("shop", "reviews", { host: "reviews" }),
    ];
    expect(ruleFor(webClient, rules)).toBe("shop/reviews");
  });

  it("falls back to the root namespace last", () => {
    const rules = [
      destinationRule("istio-system", "mesh-default", { host: "*.local" }),
      destinationRule("other", "reviews", { host: "reviews.shop.svc.cluster.local" }),
    ];
    expect(ruleFor(webClient, rules)).toBe("istio-system/mesh-default");
  });

  it("takes the root namespace from the mesh config", () => {
    const rules = [destinationRule("mesh-root", "mesh-default", { host: "*" }), destinationRule("istio-system", "not-root", { host: "*" })];
    const view = viewOf(...namespaces, namespace("mesh-root"), meshConfigMap("istio", "rootNamespace: mesh-root\n"), ...rules);
    expect(destinationRuleFor(view, webClient, reviews)?.metadata?.name).toBe("mesh-default");
  });
});

describe("destinationRuleFor: workloadSelector", () => {
  it("a rule whose workloadSelector matches the client pod beats the client namespace's other rules", () => {
    const rules = [
      destinationRule("web", "exact", { host: "reviews.shop.svc.cluster.local" }, created(0)),
      destinationRule("web", "for-frontend", { host: "*", workloadSelector: { matchLabels: { app: "frontend" } } }, created(5)),
    ];
    expect(ruleFor(webClient, rules)).toBe("web/for-frontend");
  });

  it("a rule whose workloadSelector does not match the client pod is skipped", () => {
    const rules = [
      destinationRule("web", "for-admin", { host: "reviews.shop.svc.cluster.local", workloadSelector: { matchLabels: { app: "admin" } } }),
      destinationRule("shop", "reviews", { host: "reviews" }),
    ];
    expect(ruleFor(webClient, rules)).toBe("shop/reviews");
  });

  it("a workloadSelector only applies in the client's namespace: one in the service's namespace is ignored", () => {
    const rules = [
      destinationRule("shop", "selected", { host: "reviews", workloadSelector: { matchLabels: { app: "frontend" } } }),
      destinationRule("istio-system", "mesh-default", { host: "*" }),
    ];
    expect(ruleFor(webClient, rules)).toBe("istio-system/mesh-default");
  });

  it("a hypothetical client without labels is never selected by a workloadSelector", () => {
    const rules = [
      destinationRule("web", "for-frontend", { host: "*", workloadSelector: { matchLabels: { app: "frontend" } } }),
      destinationRule("shop", "reviews", { host: "reviews" }),
    ];
    expect(ruleFor({ namespace: "web" }, rules)).toBe("shop/reviews");
  });
});

describe("destinationRuleFor: host matching within a namespace", () => {
  it("an exact host beats an older wildcard", () => {
    const rules = [
      destinationRule("shop", "wildcard", { host: "*.shop.svc.cluster.local" }, created(0)),
      destinationRule("shop", "exact", { host: "reviews.shop.svc.cluster.local" }, created(9)),
    ];
    expect(ruleFor(webClient, rules)).toBe("shop/exact");
  });

  it("a longer wildcard beats a shorter one, and `*` loses to both", () => {
    const rules = [
      destinationRule("shop", "star", { host: "*" }, created(0)),
      destinationRule("shop", "local", { host: "*.local" }, created(1)),
      destinationRule("shop", "namespace", { host: "*.shop.svc.cluster.local" }, created(2)),
    ];
    expect(ruleFor(webClient, rules)).toBe("shop/namespace");
    expect(ruleFor(webClient, rules.slice(0, 2))).toBe("shop/local");
    expect(ruleFor(webClient, rules.slice(0, 1))).toBe("shop/star");
  });

  it("a wildcard for another namespace does not match", () => {
    expect(ruleFor(webClient, [destinationRule("shop", "web-only", { host: "*.web.svc.cluster.local" })])).toBeUndefined();
  });

  it("among equally specific rules the oldest wins, then the name", () => {
    const byAge = [
      destinationRule("shop", "a-newer", { host: "reviews" }, created(8)),
      destinationRule("shop", "z-older", { host: "reviews" }, created(2)),
    ];
    expect(ruleFor(webClient, byAge)).toBe("shop/z-older");
    const byName = [
      destinationRule("shop", "b", { host: "reviews" }, created(2)),
      destinationRule("shop", "a", { host: "reviews" }, created(2)),
    ];
    expect(ruleFor(webClient, byName)).toBe("shop/a");
  });

  it("reads a short host relative to the rule's own namespace", () => {
    // `reviews` in namespace web means reviews.web.svc.cluster.local, not the client's target.
    expect(ruleFor(webClient, [destinationRule("web", "reviews", { host: "reviews" })])).toBeUndefined();
    expect(ruleFor(webClient, [destinationRule("shop", "reviews", { host: "reviews" })])).toBe("shop/reviews");
  });

  it("does not expand a host with a dot: `reviews.shop` is not reviews.shop.svc.cluster.local (Istio semantics)", () => {
    expect(ruleFor(webClient, [destinationRule("shop", "dotted", { host: "reviews.shop" })])).toBeUndefined();
    expect(ruleFor(webClient, [destinationRule("shop", "fqdn", { host: "reviews.shop.svc.cluster.local" })])).toBe("shop/fqdn");
  });
});

describe("destinationRuleFor: exportTo", () => {
  it("exportTo `.` keeps a rule to its own namespace", () => {
    const rules = [destinationRule("shop", "private", { host: "reviews", exportTo: ["."] })];
    expect(ruleFor(shopClient, rules)).toBe("shop/private");
    expect(ruleFor(webClient, rules)).toBeUndefined();
  });

  it("exportTo a list of names shows the rule to those namespaces only", () => {
    const rules = [destinationRule("shop", "for-web", { host: "reviews", exportTo: ["web"] })];
    expect(ruleFor(webClient, rules)).toBe("shop/for-web");
    expect(ruleFor({ namespace: "other" }, rules)).toBeUndefined();
  });

  it("exportTo `*` shows the rule everywhere", () => {
    const rules = [destinationRule("shop", "public", { host: "reviews", exportTo: ["*"] })];
    expect(ruleFor(webClient, rules)).toBe("shop/public");
    expect(ruleFor({ namespace: "other" }, rules)).toBe("shop/public");
  });

  it("exportTo `~` shows the rule to no other namespace", () => {
    const rules = [destinationRule("istio-system", "hidden", { host: "*", exportTo: ["~"] })];
    expect(ruleFor(webClient, rules)).toBeUndefined();
  });

  it("a rule hidden from the client lets the next namespace decide", () => {
    const rules = [
      destinationRule("shop", "private", { host: "reviews", exportTo: ["."] }),
      destinationRule("istio-system", "mesh-default", { host: "*" }),
    ];
    expect(ruleFor(webClient, rules)).toBe("istio-system/mesh-default");
  });
});

describe("ruleTlsForPort", () => {
  const rule = (trafficPolicy: NonNullable<DestinationRule["spec"]>["trafficPolicy"]) =>
    destinationRule("shop", "reviews", { host: "reviews", trafficPolicy });

  it("uses trafficPolicy.tls as written", () => {
    expect(ruleTlsForPort(rule({ tls: { mode: "SIMPLE" } }), 80)?.mode).toBe("SIMPLE");
  });

  it("prefers portLevelSettings for the Service port to trafficPolicy.tls", () => {
    const r = rule({ tls: { mode: "ISTIO_MUTUAL" }, portLevelSettings: [{ port: { number: 80 }, tls: { mode: "DISABLE" } }] });
    expect(ruleTlsForPort(r, 80)?.mode).toBe("DISABLE");
    expect(ruleTlsForPort(r, 9090)?.mode).toBe("ISTIO_MUTUAL");
  });

  it("matches portLevelSettings by the Service port, not the container port", () => {
    const r = rule({ tls: { mode: "ISTIO_MUTUAL" }, portLevelSettings: [{ port: { number: 8080 }, tls: { mode: "DISABLE" } }] });
    expect(ruleTlsForPort(r, 80)?.mode).toBe("ISTIO_MUTUAL");
  });

  it("falls back to trafficPolicy.tls when the port's entry has no tls", () => {
    const r = rule({ tls: { mode: "MUTUAL" }, portLevelSettings: [{ port: { number: 80 } }] });
    expect(ruleTlsForPort(r, 80)?.mode).toBe("MUTUAL");
  });

  it("reads a tls block without a mode as DISABLE", () => {
    expect(ruleTlsForPort(rule({ tls: { sni: "reviews.example.com" } }), 80)?.mode).toBe("DISABLE");
    expect(ruleTlsForPort(rule({ portLevelSettings: [{ port: { number: 80 }, tls: {} }] }), 80)?.mode).toBe("DISABLE");
  });

  it("gives nothing when the rule has no tls at all (auto mTLS decides)", () => {
    expect(ruleTlsForPort(rule({ loadBalancer: { simple: "ROUND_ROBIN" } }), 80)).toBeUndefined();
    expect(ruleTlsForPort(destinationRule("shop", "bare", { host: "reviews" }), 80)).toBeUndefined();
  });
});
