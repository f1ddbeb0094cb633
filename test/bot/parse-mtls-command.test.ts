import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/usage-error.js";
import { parseMtlsCommand } from "../../src/bot/parse-mtls-command.js";

describe("parseMtlsCommand", () => {
  const valid: [string, ReturnType<typeof parseMtlsCommand>][] = [
    ["", { kind: "help" }],
    ["   ", { kind: "help" }],
    ["help", { kind: "help" }],
    ["HELP", { kind: "help" }],
    ["clusters", { kind: "clusters" }],
    ["check service-b", { kind: "check", service: "service-b", namespace: "default" }],
    ["check service-b.shop", { kind: "check", service: "service-b", namespace: "shop" }],
    ["check service-b.shop.svc.cluster.local", { kind: "check", service: "service-b", namespace: "shop" }],
    ["check service-b.shop.svc", { kind: "check", service: "service-b", namespace: "shop" }],
    ["  check   Service-B.Shop  ", { kind: "check", service: "service-b", namespace: "shop" }],
    ["check service-b.shop from checkout", { kind: "check", service: "service-b", namespace: "shop", from: { name: "checkout", namespace: "shop" } }],
    ["check service-b from report-generator.legacy", { kind: "check", service: "service-b", namespace: "default", from: { name: "report-generator", namespace: "legacy" } }],
    ["check service-b FROM checkout", { kind: "check", service: "service-b", namespace: "default", from: { name: "checkout", namespace: "default" } }],
    ["check service-b cluster Prod", { kind: "check", service: "service-b", namespace: "default", cluster: "prod" }],
    ["check cluster prod service-b.shop from a", { kind: "check", service: "service-b", namespace: "shop", from: { name: "a", namespace: "shop" }, cluster: "prod" }],
    ["check service-b.shop\u00a0from\u00a0checkout", { kind: "check", service: "service-b", namespace: "shop", from: { name: "checkout", namespace: "shop" } }],
    [`check ${"a".repeat(63)}`, { kind: "check", service: "a".repeat(63), namespace: "default" }],
    ["scan", { kind: "scan" }],
    ["scan shop", { kind: "scan", namespace: "shop" }],
    ["scan Shop cluster staging", { kind: "scan", namespace: "shop", cluster: "staging" }],
    ["scan cluster staging", { kind: "scan", cluster: "staging" }],
  ];
  it.each(valid)("reads %j", (text, expected) => {
    expect(parseMtlsCommand(text)).toEqual(expected);
  });

  const invalid: [string, RegExp][] = [
    ["frobnicate", /unknown command/],
    ["help me", /`help` takes no arguments/],
    ["clusters prod", /`clusters` takes no arguments/],
    ["check", /`check` needs a service/],
    ["check cluster prod", /`check` needs a service/],
    ["check service-b cluster", /`cluster` needs a name/],
    ["check service-b cluster prod_1", /not a valid cluster name/],
    ["check Service_B", /not a valid Kubernetes name/],
    [`check ${"a".repeat(64)}`, /not a valid Kubernetes name/],
    ["check service-b.Bad_NS", /not a valid namespace name/],
    ["check a.b.c", /is not <name>, <name>.<namespace>/],
    ["check service-b from", /after the service only `from <workload>/],
    ["check service-b from a b", /after the service only `from <workload>/],
    ["check service-b to a", /after the service only `from <workload>/],
    ["check service-b from Bad!", /not a valid Kubernetes name/],
    ["check <!channel>", /not a valid Kubernetes name/],
    ["check service-b from <@U0ADMIN>", /not a valid Kubernetes name/],
    ["check <https://evil.example|service-b>", /not a valid Kubernetes name/],
    ["check service-b;rm", /not a valid Kubernetes name/],
    ["check $(id)", /not a valid Kubernetes name/],
    ["check ../../etc/passwd", /is not <name>/],
    ["check service-b\u200b", /not a valid Kubernetes name/],
    ["scan a b", /at most one namespace/],
    ["scan Bad!", /not a valid namespace name/],
    [`check service-b ${"x".repeat(500)}`, /characters; a command is much shorter/],
  ];
  it.each(invalid)("refuses %j with a message that says what is wrong", (text, message) => {
    expect(() => parseMtlsCommand(text)).toThrow(UsageError);
    expect(() => parseMtlsCommand(text)).toThrow(message);
  });

  it("never echoes more than a short piece of a long unknown word", () => {
    const word = `x${"y".repeat(400)}`;
    expect(() => parseMtlsCommand(word)).toThrow(UsageError);
    try {
      parseMtlsCommand(word);
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(120);
    }
  });
});

describe("parseMtlsCommand quoting", () => {
  it("refuses a word no Kubernetes name could be, quoting only its start", () => {
    expect(() => parseMtlsCommand(`check ${"a".repeat(200)}`)).toThrow(/^"a{30}…" is 200 characters long; Kubernetes names have at most 63$/);
  });
});
