import { describe, expect, it } from "vitest";
import { parseCommandLine, type DiagnoseCommand, type SnapshotCommand } from "../../src/cli/parse-args.js";
import { UsageError } from "../../src/cli/usage-error.js";

function check(...args: string[]): DiagnoseCommand {
  const cmd = parseCommandLine(["check", ...args]);
  if (cmd.command !== "check") throw new Error(`parsed as ${cmd.command}`);
  return cmd;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
}

describe("check: the target", () => {
  it("a bare service has no namespace (default is decided later)", () => {
    expect(check("inventory").target).toEqual({ service: "inventory" });
  });

  it.each(["inventory.shop", "inventory.shop.svc", "inventory.shop.svc.cluster.local"])("%s is inventory in shop", (ref) => {
    expect(check(ref).target).toEqual({ service: "inventory", namespace: "shop" });
  });

  it("rejects other dotted forms", () => {
    expect(usageError(["check", "inventory.shop.example.com"]).message).toContain("inventory.shop.example.com");
  });

  it("--namespace gives the namespace of a bare service", () => {
    expect(check("inventory", "--namespace", "shop").target).toEqual({ service: "inventory", namespace: "shop" });
    expect(check("inventory", "-n", "shop").target).toEqual({ service: "inventory", namespace: "shop" });
  });

  it("--namespace that agrees with the target is accepted; one that conflicts is a usage error naming both", () => {
    expect(check("inventory.shop", "--namespace", "shop").target).toEqual({ service: "inventory", namespace: "shop" });
    const message = usageError(["check", "inventory.shop", "--namespace", "web"]).message;
    expect(message).toContain("shop");
    expect(message).toContain("web");
  });

  it("check takes at most one --namespace", () => {
    usageError(["check", "inventory", "--namespace", "shop", "--namespace", "web"]);
  });

  it("check needs exactly one service", () => {
    expect(usageError(["check"]).message).toMatch(/needs a service/);
    usageError(["check", "inventory", "orders"]);
  });

  it.each([
    ["an underscore", "inv_entory"],
    ["a leading hyphen", "-inventory.shop"],
    ["a trailing hyphen", "inventory-"],
    ["64 characters", "a".repeat(64)],
    ["an empty name", ".shop"],
    ["a bad namespace", "inventory.sh_op"],
  ])("rejects a target with %s", (_, ref) => {
    usageError(["check", ref]);
  });
});

describe("check: --from", () => {
  it("NAME keeps no namespace (the target's is used later); NAME.NS names one", () => {
    expect(check("inventory.shop", "--from", "frontend").from).toEqual({ name: "frontend" });
    expect(check("inventory.shop", "--from", "report.legacy").from).toEqual({ name: "report", namespace: "legacy" });
    expect(check("inventory.shop", "--from", "report.legacy.svc.cluster.local").from).toEqual({ name: "report", namespace: "legacy" });
  });

  it("rejects an invalid --from name", () => {
    expect(usageError(["check", "inventory", "--from", "report_gen"]).message).toContain("report_gen");
  });

  it("belongs to check, not scan", () => {
    usageError(["scan", "--from", "frontend"]);
  });
});

describe("options", () => {
  it("defaults: text output, --fail-on never, no snapshot", () => {
    const cmd = check("inventory");
    expect(cmd.output).toBe("text");
    expect(cmd.failOn).toBe("never");
    expect(cmd.source).toEqual({});
    expect(cmd.now).toBeUndefined();
  });

  it("--snapshot names the directory to read", () => {
    expect(check("inventory", "--snapshot", "/tmp/snap").source).toEqual({ snapshot: "/tmp/snap" });
  });

  it("--snapshot cannot be combined with --kubeconfig or --context", () => {
    usageError(["check", "inventory", "--snapshot", "/tmp/snap", "--kubeconfig", "/tmp/kc"]);
    usageError(["check", "inventory", "--snapshot", "/tmp/snap", "--context", "prod"]);
    expect(check("inventory", "--kubeconfig", "/tmp/kc", "--context", "prod").source).toEqual({ kubeconfig: "/tmp/kc", context: "prod" });
  });

  it("--output accepts text and json only", () => {
    expect(check("inventory", "--output", "json").output).toBe("json");
    expect(check("inventory", "-o", "text").output).toBe("text");
    expect(usageError(["check", "inventory", "--output", "yaml"]).message).toContain("--output");
  });

  it("--fail-on accepts critical, warning and never only", () => {
    expect(check("inventory", "--fail-on", "critical").failOn).toBe("critical");
    expect(check("inventory", "--fail-on", "warning").failOn).toBe("warning");
    expect(usageError(["check", "inventory", "--fail-on", "info"]).message).toContain("--fail-on");
  });

  it("--now takes an RFC 3339 time", () => {
    expect(check("inventory", "--now", "2026-11-27T12:00:00Z").now?.toISOString()).toBe("2026-11-27T12:00:00.000Z");
    expect(check("inventory", "--now", "2026-11-27T13:00:00+01:00").now?.toISOString()).toBe("2026-11-27T12:00:00.000Z");
  });

  it.each(["yesterday", "2026-11-27", "1764244800", "2026-11-27T25:00:00Z"])("--now %s is a usage error", (now) => {
    expect(usageError(["check", "inventory", "--now", now]).message).toContain("--now");
  });

  it("--now without a UTC offset is a usage error (RFC 3339 requires one; it would be read in the machine's time zone)", () => {
    usageError(["check", "inventory", "--now", "2026-11-27T12:00:00"]);
  });

  it("--now on a day the month does not have is a usage error, not silently another day", () => {
    usageError(["check", "inventory", "--now", "2026-02-30T12:00:00Z"]);
  });

  it("an unknown flag is a usage error naming it", () => {
    expect(usageError(["check", "inventory", "--colour"]).message).toContain("--colour");
  });

  it("a flag without its value is a usage error", () => {
    usageError(["check", "inventory", "--snapshot"]);
  });
});

describe("scan", () => {
  it("takes several --namespace", () => {
    const cmd = parseCommandLine(["scan", "--namespace", "shop", "-n", "web", "--snapshot", "/tmp/snap"]);
    expect(cmd).toMatchObject({ command: "scan", namespaces: ["shop", "web"], source: { snapshot: "/tmp/snap" } });
  });

  it("without --namespace covers every namespace (an empty list)", () => {
    expect(parseCommandLine(["scan"])).toMatchObject({ command: "scan", namespaces: [] });
  });

  it("rejects positional arguments and invalid namespace names", () => {
    usageError(["scan", "shop"]);
    usageError(["scan", "--namespace", "Shop_1"]);
  });
});

describe("snapshot", () => {
  it("needs --out and at least one --namespace", () => {
    const cmd = parseCommandLine(["snapshot", "--namespace", "shop", "-n", "web", "--out", "/tmp/out"]) as SnapshotCommand;
    expect(cmd).toMatchObject({ command: "snapshot", namespaces: ["shop", "web"], out: "/tmp/out" });
    expect(usageError(["snapshot", "--namespace", "shop"]).message).toContain("--out");
    expect(usageError(["snapshot", "--out", "/tmp/out"]).message).toContain("--namespace");
  });

  it("rejects invalid namespace names and options it does not take", () => {
    usageError(["snapshot", "--namespace", "sh.op", "--out", "/tmp/out"]);
    usageError(["snapshot", "--namespace", "shop", "--out", "/tmp/out", "--output", "json"]);
  });
});

describe("other commands", () => {
  it("help, --help, -h and no arguments print help", () => {
    for (const argv of [["help"], ["--help"], ["-h"], []]) expect(parseCommandLine(argv)).toEqual({ command: "help" });
  });

  it("bot, worker and all take no arguments", () => {
    expect(parseCommandLine(["worker"])).toEqual({ command: "worker" });
    usageError(["bot", "--port", "3000"]);
  });

  it("an unknown command is a usage error naming it", () => {
    expect(usageError(["chekc", "inventory"]).message).toContain("chekc");
  });
});
