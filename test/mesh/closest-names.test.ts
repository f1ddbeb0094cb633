import { describe, expect, it } from "vitest";
import { closestNames } from "../../src/mesh/closest-names.js";

const services = ["inventory", "inventory-db", "orders", "payments", "checkout", "storefront-web"];

describe("closestNames", () => {
  it("suggests the name a typo meant", () => {
    expect(closestNames("inventroy", services)[0]).toBe("inventory");
    expect(closestNames("order", services)).toContain("orders");
    expect(closestNames("paymnets", services)).toEqual(["payments"]);
  });

  it("suggests names that contain what was typed, or that it contains", () => {
    expect(closestNames("storefront", services)).toEqual(["storefront-web"]);
    expect(closestNames("inventory-db-primary", services)).toContain("inventory-db");
  });

  it("ranks the closer name first", () => {
    expect(closestNames("inventory-d", services)).toEqual(["inventory-db", "inventory"]);
  });

  it("suggests nothing for a name unlike any", () => {
    expect(closestNames("zookeeper", services)).toEqual([]);
    expect(closestNames("inventory", [])).toEqual([]);
  });

  it("returns at most the limit, without duplicates", () => {
    const many = ["api-1", "api-2", "api-3", "api-4", "api-1"];
    expect(closestNames("api", many)).toHaveLength(3);
    expect(closestNames("api", many, 2)).toHaveLength(2);
    expect(new Set(closestNames("api", many)).size).toBe(3);
  });
});
