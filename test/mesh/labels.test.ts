import { describe, expect, it } from "vitest";
import { describeLabels, matchesLabels, matchesSelector } from "../../src/mesh/labels.js";

const labels = { app: "inventory", tier: "backend", version: "v2" };

describe("matchesSelector", () => {
  it("an absent or empty selector matches everything", () => {
    expect(matchesSelector(undefined, labels)).toBe(true);
    expect(matchesSelector({}, labels)).toBe(true);
    expect(matchesSelector({}, undefined)).toBe(true);
  });

  it("matchLabels must all be present with equal values", () => {
    expect(matchesSelector({ matchLabels: { app: "inventory", tier: "backend" } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { app: "inventory", tier: "frontend" } }, labels)).toBe(false);
    expect(matchesSelector({ matchLabels: { app: "inventory" } }, undefined)).toBe(false);
  });

  it("In: the label exists with one of the values", () => {
    expect(matchesSelector({ matchExpressions: [{ key: "version", operator: "In", values: ["v1", "v2"] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "version", operator: "In", values: ["v1"] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: "track", operator: "In", values: ["stable"] }] }, labels)).toBe(false);
  });

  it("NotIn: the label is absent or has none of the values", () => {
    expect(matchesSelector({ matchExpressions: [{ key: "version", operator: "NotIn", values: ["v1"] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "version", operator: "NotIn", values: ["v2"] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }] }, labels)).toBe(true);
  });

  it("Exists and DoesNotExist look at the key only", () => {
    expect(matchesSelector({ matchExpressions: [{ key: "tier", operator: "Exists" }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "track", operator: "Exists" }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: "track", operator: "DoesNotExist" }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, labels)).toBe(false);
  });

  it("matchLabels and every expression must all hold", () => {
    const selector = {
      matchLabels: { app: "inventory" },
      matchExpressions: [
        { key: "version", operator: "In", values: ["v2"] },
        { key: "track", operator: "DoesNotExist" },
      ],
    };
    expect(matchesSelector(selector, labels)).toBe(true);
    expect(matchesSelector(selector, { ...labels, track: "canary" })).toBe(false);
  });

  it("an unknown operator matches nothing", () => {
    expect(matchesSelector({ matchExpressions: [{ key: "app", operator: "Gt", values: ["1"] }] }, labels)).toBe(false);
  });
});

describe("matchesLabels", () => {
  it("equality only; no labels required matches everything", () => {
    expect(matchesLabels({ app: "inventory" }, labels)).toBe(true);
    expect(matchesLabels({ app: "orders" }, labels)).toBe(false);
    expect(matchesLabels(undefined, labels)).toBe(true);
    expect(matchesLabels({}, undefined)).toBe(true);
  });
});

describe("describeLabels", () => {
  it("prints k=v pairs, or {} for none", () => {
    expect(describeLabels({ app: "inventory", tier: "backend" })).toBe("app=inventory,tier=backend");
    expect(describeLabels(undefined)).toBe("{}");
  });
});
