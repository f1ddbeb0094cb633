import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../support/redis-server.js";

describe("check against a cluster that cannot be reached", () => {
  it("is unreadable input: exit 2, the reason on stderr, nothing on stdout", async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), "mtls-kc-"));
    const kubeconfig = path.join(dir, "config");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: ctx, context: { cluster: c, user: u, namespace: shop } }]
current-context: ctx
`,
    );
    const result = spawnSync(process.execPath, ["dist/main.js", "check", "inventory", "--kubeconfig", kubeconfig, "--output", "json"], { encoding: "utf8", timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/cannot read the cluster: .*127\.0\.0\.1:\d+.*reachable/);
  });
});
